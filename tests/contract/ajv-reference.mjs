// SPDX-License-Identifier: MIT
// The independent reference of tst_schemadiff: ajv 8 (draft-07), pinned in tests/clients/package.json.
//
//   node tests/contract/ajv-reference.mjs < cases.ndjson
//
// Reads one case a line, {"schema": S, "instances": [I, ...]}, and prints one line a case: a string of
// "1" (valid) and "0" (invalid), one character per instance, or "E <message>" when ajv refuses the schema.
// ajv is set up for draft-07 as strictly as it allows:
//  - ignoreKeywordsWithRef: in draft-07 the keywords beside "$ref" are ignored; ajv 8 applies them unless told.
//  - validateFormats: false: "format" is an annotation (draft-07 makes format checks optional); the
//    generator uses only formats that EventLens does not check either.
//  - strict: false: draft-07 allows unknown keywords and the schemas the generator makes (e.g. "items"
//    without "type": "array"); logger: false keeps ajv's warnings about them off stdout.
//  - unicodeRegExp (the default): "pattern" and "patternProperties" are matched over code points (the "u"
//    flag), as EventLens does.
// Numbers are JavaScript doubles: an integer beyond 2^53 is seen rounded. tst_schemadiff therefore sends ajv
// the case with such integers already rounded and compares ajv with EventLens on that same case.
import {createRequire} from "node:module";
import {createInterface} from "node:readline";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../clients/package.json"));
let Ajv;
try {
    Ajv = require("ajv").default;
} catch (e) {
    console.error(`ajv-reference: ajv is not installed in tests/clients (run .ci/deps, or npm ci there): ${e.message}`);
    process.exit(3);
}
if (process.argv[2] === "--version") {
    console.log(require("ajv/package.json").version);
    process.exit(0);
}

const options = {strict: false, allErrors: false, validateFormats: false, ignoreKeywordsWithRef: true, logger: false};

const lines = createInterface({input: process.stdin, crlfDelay: Infinity});
const out = [];
for await (const line of lines) {
    if (line.trim() === "")
        continue;
    const c = JSON.parse(line);
    let verdicts;
    try {
        // A fresh instance per case: schemas have no $id, and cached compiled schemas must not mix.
        const validate = new Ajv(options).compile(c.schema);
        verdicts = c.instances.map((i) => (validate(i) ? "1" : "0")).join("");
    } catch (e) {
        verdicts = "E " + String(e.message).replace(/\s+/g, " ");
    }
    out.push(verdicts);
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));

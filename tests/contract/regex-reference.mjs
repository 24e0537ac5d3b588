// SPDX-License-Identifier: MIT
// The independent reference of tst_linearregex: V8's own ECMA-262 RegExp with the "u" flag (how ajv matches a
// draft-07 "pattern"). No package needed.
//
//   node tests/contract/regex-reference.mjs < cases.ndjson
//
// Reads one case a line, {"pattern": P, "texts": [T, ...]}, and prints one line a case: a string of "1" (the
// text contains a match) and "0", one character per text, or "E" when V8 refuses the pattern.
import {createInterface} from "node:readline";

const lines = createInterface({input: process.stdin, crlfDelay: Infinity});
const out = [];
for await (const line of lines) {
    if (!line.trim())
        continue;
    const c = JSON.parse(line);
    let re;
    try {
        re = new RegExp(c.pattern, "u");
    } catch (e) {
        out.push("E");
        continue;
    }
    out.push(c.texts.map((t) => (re.test(t) ? "1" : "0")).join(""));
}
process.stdout.write(out.join("\n") + "\n");

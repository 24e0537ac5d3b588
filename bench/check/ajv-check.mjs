#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The peer of `eventlens check` in bench/check/run.sh: the per-event schemas of an EventLens contract,
// compiled by ajv 8 (draft-07), over an NDJSON file.
//
//   node ajv-check.mjs [--contract FILE] INPUT.ndjson
//   -> {"events":N,"invalid":M,"seconds":S,"events_per_s":R}
//
// globals.schema is compiled once; per event name, one validator allOf [events.NAME.schema, events.NAME.rules...],
// compiled when the name first occurs (ajv's usual lazy use; EventLens compiles every schema when the contract
// loads). An event must pass both, except the globals for events exempt by globals.exempt or globals.exempt_if. An
// event not in `events` and not matched by unplanned_events.allow is invalid unless the mode is "allow". Not done (per-event
// schemas only): sequence rules, PostHog normalisation, violation messages. A line can be an event, an array of
// events or {"batch": [...]}, as `eventlens check` reads it; $snapshot (a recording) is counted, not checked.
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Ajv from 'ajv';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `*` any run of characters, `?` one character, everything else literal (contract.h globMatch). */
function globToRegExp(pattern) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^]*').replace(/\?/g, '[^]');
    return new RegExp(`^${body}$`, 'u');
}

/** Returns validate(event) -> true when the event breaks no per-event rule of \a contract. */
export function compileContract(contract) {
    const ajv = new Ajv({ allErrors: false, strict: false });
    const g = contract.globals;
    const globals = g?.schema ?? null;
    const exemptNames = (g?.exempt ?? []).map(globToRegExp);
    const exemptIf = g?.exempt_if?.length ? ajv.compile({ anyOf: g.exempt_if }) : () => false;
    const up = typeof contract.unplanned_events === 'string' ? { mode: contract.unplanned_events }
        : (contract.unplanned_events ?? {});
    const unplannedMode = up.mode ?? 'warn';
    const allow = (up.allow ?? ['$*']).map(globToRegExp);
    const pass = () => true;
    const globalsValid = globals ? ajv.compile(globals) : pass;
    const cache = new Map(); // name -> {unplanned, exempt (by name), own}, compiled when the name first occurs

    function entry(name) {
        const spec = contract.events?.[name];
        const exempt = !globals || exemptNames.some((re) => re.test(name));
        if (!spec) {
            const unplanned = unplannedMode !== 'allow' && !allow.some((re) => re.test(name));
            return { unplanned, exempt, own: pass };
        }
        const own = [spec.schema ?? true, ...(spec.rules ?? []).map((r) => r.schema)];
        return { unplanned: false, exempt, own: ajv.compile(own.length === 1 ? own[0] : { allOf: own }) };
    }

    return function validate(event) {
        if (event === null || typeof event !== 'object' || Array.isArray(event)) return false;
        const name = typeof event.event === 'string' ? event.event : '';
        let e = cache.get(name);
        if (e === undefined) cache.set(name, (e = entry(name)));
        if (e.unplanned) return false;
        const props = event.properties !== null && typeof event.properties === 'object' ? event.properties : {};
        if (!e.exempt && !exemptIf(event) && !globalsValid(props)) return false;
        return e.own(props);
    };
}

async function main(argv) {
    let contractPath = resolve(ROOT, 'resources/contracts/open-design.json');
    const inputs = [];
    for (let i = 0; i < argv.length; ++i) {
        if (argv[i] === '--contract' || argv[i] === '-c') contractPath = argv[++i];
        else inputs.push(argv[i]);
    }
    if (inputs.length !== 1) {
        process.stderr.write('usage: node ajv-check.mjs [--contract FILE] INPUT.ndjson\n');
        process.exit(2);
    }
    const validate = compileContract(JSON.parse(readFileSync(contractPath, 'utf8')));
    let events = 0, invalid = 0, lineNo = 0;
    const check = (ev) => {
        ++events;
        if (ev?.event === '$snapshot') return;
        if (!validate(ev)) ++invalid;
    };
    const rl = createInterface({
        input: createReadStream(inputs[0], { highWaterMark: 1 << 20 }),
        crlfDelay: Infinity,
    });
    rl.on('line', (line) => {
        ++lineNo;
        if (line.trim() === '') return;
        let doc;
        try {
            doc = JSON.parse(line);
        } catch (err) {
            process.stderr.write(`${inputs[0]}:${lineNo}: ${err.message}\n`);
            process.exit(2);
        }
        if (Array.isArray(doc)) doc.forEach(check);
        else if (doc !== null && typeof doc === 'object' && Array.isArray(doc.batch)) doc.batch.forEach(check);
        else check(doc);
    });
    await new Promise((ok, fail) => { rl.on('close', ok); rl.input.on('error', fail); });
    const seconds = performance.now() / 1000; // since the process started, as /usr/bin/time counts it
    process.stdout.write(`${JSON.stringify({
        events, invalid, seconds: Number(seconds.toFixed(3)), events_per_s: Math.round(events / seconds),
    })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
    main(process.argv.slice(2)).catch((err) => {
        process.stderr.write(`${err.stack ?? err}\n`);
        process.exit(2);
    });
}

#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Writes open-design events as NDJSON (one bare event per line) for bench/check/run.sh. Deterministic (seeded).
//
//   node gen-events.mjs [--events N] [--invalid-rate R] [--seed S] [--invalid-lines FILE] OUT.ndjson
//
// Sessions copy tests/data/open-design/valid.ndjson (21 events: posthog-js and posthog-node, 3 run_created/
// run_finished pairs, a click before an export, exempt and unplanned-but-allowed events) with new ids per session
// (distinct_id, uuid, $insert_id, event_id, run_id, request_id, session/window/device ids, ...: hex runs redrawn,
// same shape) and timestamps moved to the session's start (sessions 4 minutes apart), so sequence rules see
// distinct runs. The last, partial session leaves out the run events, so no pair is cut. A fraction R (default
// 0.1) of the events is made schema-invalid: a wrong enum value or a missing required property (of the globals or
// of the event's own schema; never a sequence key, a pinned property or a run's result). Every event is checked
// with ajv-check.mjs's validator: the valid ones pass, the invalid ones fail. Summary JSON on stderr.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileContract } from './ajv-check.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const opts = { events: 300000, invalidRate: 0.1, seed: 8, invalidLines: null, out: null };
for (let i = 2; i < process.argv.length; ++i) {
    const a = process.argv[i];
    if (a === '--events') opts.events = Number(process.argv[++i]);
    else if (a === '--invalid-rate') opts.invalidRate = Number(process.argv[++i]);
    else if (a === '--seed') opts.seed = Number(process.argv[++i]);
    else if (a === '--invalid-lines') opts.invalidLines = process.argv[++i];
    else opts.out = a;
}
if (!opts.out || !(opts.events >= 0)) {
    process.stderr.write('usage: node gen-events.mjs [--events N] [--invalid-rate R] [--seed S] '
        + '[--invalid-lines FILE] OUT.ndjson\n');
    process.exit(2);
}

// mulberry32
let state = opts.seed >>> 0;
function random() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const HEX = '0123456789abcdef';

const contract = JSON.parse(readFileSync(resolve(ROOT, 'resources/contracts/open-design.json'), 'utf8'));
const validate = compileContract(contract);
const template = readFileSync(resolve(ROOT, 'tests/data/open-design/valid.ndjson'), 'utf8')
    .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
const t0 = Date.parse(template[0].timestamp);

// Ids redrawn per session (the same old value maps to the same new value within a session).
const ID_KEYS = ['distinct_id', '$device_id', 'device_id', '$session_id', '$window_id', 'session_id', '$pageview_id',
    '$insert_id', 'event_id', 'run_id', 'langfuse_trace_id', 'request_id', 'conversation_id', 'project_id',
    'onboarding_session_id', 'artifact_id'];
const seen = new Set(); // every new id, so a redraw never repeats one (insert-id-unique, run-lifecycle keys)
function redraw(old) {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(old);
    for (;;) {
        let i = 0;
        const v = old.replace(/[0-9a-f]{4,}|[-_]/gi, (run) => {
            let s = '';
            for (const ch of run) {
                // keep a UUID's version and variant digits
                s += ch === '-' || ch === '_' || (uuid && (i === 14 || i === 19)) ? ch : HEX[(random() * 16) | 0];
                ++i;
            }
            return s;
        });
        if (!seen.has(v)) {
            seen.add(v);
            return v;
        }
    }
}

// Mutations that make an event schema-invalid; for each template event, those that do (checked with ajv).
const pair = contract.sequences.find((s) => s.type === 'pair');
const keep = new Set(['run_id', '$insert_id', 'request_id', 'result', 'event_id', ...(pair?.pinned ?? [])]);
function candidates(ev) {
    const list = [
        ['globals: env missing', (p) => { delete p.env; }],
        ['globals: event_schema_version 3', (p) => { p.event_schema_version = 3; }],
        ['globals: configure_availability enum', (p) => { p.configure_availability = 'sometimes'; }],
        ['globals: client_type enum', (p) => { if ('client_type' in p) p.client_type = 'mobile'; }],
    ];
    const schema = contract.events[ev.event]?.schema;
    for (const [k, s] of Object.entries(schema?.properties ?? {})) {
        if (!keep.has(k) && Array.isArray(s.enum) && k in ev.properties)
            list.push([`${ev.event}: ${k} enum`, (p) => { p[k] = 'not_an_allowed_value'; }]);
    }
    for (const k of schema?.required ?? []) {
        if (!keep.has(k) && k in ev.properties) list.push([`${ev.event}: ${k} missing`, (p) => { delete p[k]; }]);
    }
    return list.filter(([, mutate]) => {
        const copy = structuredClone(ev);
        mutate(copy.properties);
        return !validate(copy);
    });
}
const mutations = template.map(candidates);
const mutable = mutations.filter((m) => m.length > 0).length;
const pInvalid = Math.min(1, (opts.invalidRate * template.length) / mutable);
const RUN_EVENTS = new Set([pair?.start, pair?.end, 'langfuse_report_result', 'run_retry_attempted',
    'run_retry_finished']);
const partial = template.map((_, i) => i).filter((i) => !RUN_EVENTS.has(template[i].event));

const fd = openSync(opts.out, 'w');
const invalidLines = [];
const byMutation = {};
let written = 0, bytes = 0, chunk = [], chunkBytes = 0;
function flush() {
    if (chunk.length) writeSync(fd, chunk.join(''));
    chunk = [];
    chunkBytes = 0;
}
for (let session = 0; written < opts.events; ++session) {
    const last = opts.events - written < template.length;
    const indices = last ? partial.slice(0, opts.events - written) : template.map((_, i) => i);
    const ids = new Map();
    const id = (v) => {
        if (typeof v !== 'string') return v;
        if (!ids.has(v)) ids.set(v, redraw(v));
        return ids.get(v);
    };
    const start = t0 + session * 240000;
    for (const i of indices) {
        const ev = structuredClone(template[i]);
        const ts = start + (Date.parse(ev.timestamp) - t0);
        ev.timestamp = new Date(ts).toISOString();
        ev.distinct_id = id(ev.distinct_id);
        ev.uuid = id(ev.uuid);
        const p = ev.properties;
        for (const k of ID_KEYS) if (k in p) p[k] = id(p[k]);
        if ('$time' in p) p.$time = ts / 1000;
        let bad = false;
        if (mutations[i].length > 0 && random() < pInvalid) {
            const [label, mutate] = mutations[i][(random() * mutations[i].length) | 0];
            mutate(p);
            byMutation[label] = (byMutation[label] ?? 0) + 1;
            invalidLines.push(written + 1);
            bad = true;
        }
        if (validate(ev) === bad) throw new Error(`event ${written + 1} (${ev.event}): ajv does not agree it is ${bad ? 'invalid' : 'valid'}`);
        const line = `${JSON.stringify(ev)}\n`;
        chunk.push(line);
        chunkBytes += line.length;
        bytes += Buffer.byteLength(line);
        ++written;
        if (chunkBytes > 4 << 20) flush();
        if (written >= opts.events) break;
    }
}
flush();
closeSync(fd);
if (opts.invalidLines) {
    const f = openSync(opts.invalidLines, 'w');
    writeSync(f, invalidLines.join('\n') + (invalidLines.length ? '\n' : ''));
    closeSync(f);
}
process.stderr.write(`${JSON.stringify({ events: written, invalid: invalidLines.length, bytes,
    bytes_per_event: Math.round(bytes / Math.max(1, written)), by_mutation: byMutation })}\n`);

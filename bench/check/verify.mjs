#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Checks that `eventlens check -f json` agrees with gen-events.mjs on which events are schema-invalid.
//
//   node verify.mjs REPORT.json INVALID-LINES
//
// The input has one event per line, so seq == line. Every generated-invalid line must have a `schema` or `global`
// violation and no other line may have one. Other violations (sequence rules, unplanned) are listed, by kind and
// rule. Exit 0 when the verdicts agree, 1 when they do not.
import { readFileSync } from 'node:fs';

const [reportPath, linesPath] = process.argv.slice(2);
if (!reportPath || !linesPath) {
    process.stderr.write('usage: node verify.mjs REPORT.json INVALID-LINES\n');
    process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const expected = new Set(readFileSync(linesPath, 'utf8').split('\n').filter(Boolean).map(Number));
const flagged = new Set();
const others = {};
for (const v of report.violations) {
    if (v.kind === 'schema' || v.kind === 'global') {
        for (const s of v.seqs) flagged.add(s);
    } else {
        const k = `${v.kind} ${v.rule} (${v.severity})`;
        others[k] = (others[k] ?? 0) + 1;
    }
}
const missed = [...expected].filter((s) => !flagged.has(s));
const extra = [...flagged].filter((s) => !expected.has(s));
const ok = missed.length === 0 && extra.length === 0;
process.stdout.write(`${JSON.stringify({
    events: report.events, expected_invalid: expected.size, schema_or_global_flagged: flagged.size,
    missed: missed.slice(0, 10), missed_count: missed.length, extra: extra.slice(0, 10), extra_count: extra.length,
    other_violations: others, summary: report.summary?.by_kind, agree: ok,
})}\n`);
process.exit(ok ? 0 : 1);

// SPDX-License-Identifier: MIT
// End-to-end: Node's global fetch (what posthog-node uses) POSTs a body over --max-body-bytes (default
// 20 MiB). fetch writes the whole body before it reads the answer; the sink answers 413 as soon as it
// has the headers and must then close gracefully (lingering close), so fetch gets the 413 and not
// ECONNRESET ("fetch failed"), which made posthog-node retry. Run it through run-with-sink.sh (CTest does).

import assert from 'node:assert/strict';
import { getJson, getRejected, sinkUrl } from './sink-api.mjs';

const BASE = sinkUrl();

async function postOversized(name, body, headers) {
    let res;
    try {
        res = await fetch(`${BASE}/batch/`, {
            method: 'POST', headers, body, signal: AbortSignal.timeout(60000),
        });
    } catch (err) {
        throw new Error(`[${name}] fetch failed instead of answering 413: ${err?.stack || err}; cause: ${err?.cause?.code || err?.cause}`);
    }
    const text = await res.text();
    assert.equal(res.status, 413, `[${name}] status ${res.status}: ${text.slice(0, 300)}`);
    const json = JSON.parse(text);
    assert.match(json.error, /exceeds the limit/, `[${name}] error: ${text}`);
    console.log(`ok - [${name}] ${body.length} bytes -> 413 ${json.error}`);
}

async function main() {
    const health = await getJson(`${BASE}/eventlens/v1/health`);
    assert.equal(health.status, 'ok', `health: ${JSON.stringify(health)}`);
    const rejectedBefore = (await getRejected(BASE)).length;

    const body = Buffer.alloc(40 * 1024 * 1024, 'x');
    await postOversized('40 MiB, Content-Length', body, { 'Content-Type': 'application/json' });
    // Twice in a row: the first connection's lingering close does not disturb the next one.
    await postOversized('40 MiB again', body, { 'Content-Type': 'application/json' });

    const rejected = (await getRejected(BASE)).slice(rejectedBefore);
    assert.equal(rejected.length, 2, `rejected: ${JSON.stringify(rejected, null, 2).slice(0, 2000)}`);
    for (const r of rejected) assert.equal(r.status, 413, JSON.stringify(r).slice(0, 500));

    // The sink still takes events.
    const ok = await fetch(`${BASE}/batch/`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ api_key: 'phc_k', batch: [{ event: 'after_oversized', distinct_id: 'u1' }] }),
    });
    assert.equal(ok.status, 200, await ok.text());
    console.log('ok - the sink takes events after the oversized requests');
}

main().then(() => process.exit(0), (err) => {
    console.error(`FAIL oversized-body.test.mjs: ${err?.stack || err}`);
    process.exit(1);
});

// SPDX-License-Identifier: MIT
// End-to-end fault injection (issue 17): the real posthog-node SDK, with its own retries, against an EventLens sink
// told to fail on purpose (POST /eventlens/v1/faults). Each case: the sink answers 503 three times (Retry-After 1),
// resets the connection twice, or holds a request and closes it without an answer; the SDK retries; every event must
// be captured exactly once (by uuid), the faulted requests must be listed as rejected with "fault injected: ...",
// and the BYOK run must still finish (GET /eventlens/v1/runs).
// Run it through run-with-sink.sh (CTest does).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PostHog } from 'posthog-node';
import {
    assertFaultUsedUp, assertSinkHealthy, brief, collectEvents, getJson, getRejected, installFault, sinkUrl,
} from './sink-api.mjs';

const BASE = sinkUrl();

async function runCase(name, fault, expectedHits) {
    await installFault(BASE, `[${name}]`, fault);
    const rejectedBefore = (await getRejected(BASE)).length;

    const nonce = randomUUID();
    const runId = `run_${nonce.slice(0, 12)}`;
    const distinctId = `faults-${name}-${nonce.slice(0, 8)}`;
    const common = { test_nonce: nonce, run_id: runId, runtime_type: 'byok', project_id: 'proj_1' };
    const sent = [
        { event: 'run_created', properties: { ...common, area: 'chat_composer' } },
        { event: 'settings_view', properties: { test_nonce: nonce, runtime_type: 'byok', page_name: 'settings' } },
        { event: 'run_finished', properties: { ...common, result: 'success' } },
    ].map((e) => ({ ...e, uuid: randomUUID() }));

    const attempts = [];
    const client = new PostHog('phc_eventlens_faults', {
        host: BASE, flushAt: 20, flushInterval: 60000,
        fetchRetryCount: 5, fetchRetryDelay: 50, requestTimeout: 5000,
        fetch: async (url, opts) => {
            const attempt = { url: String(url), status: null };
            attempts.push(attempt);
            try {
                const res = await fetch(url, opts);
                attempt.status = res.status;
                return res;
            } catch (err) {
                attempt.status = `network error: ${err?.cause?.code || err}`;
                throw err;
            }
        },
    });
    const sdkErrors = [];
    client.on('error', (err) => sdkErrors.push(String(err)));
    for (const e of sent) client.capture({ distinctId, event: e.event, properties: e.properties, uuid: e.uuid });
    await client.shutdown(30000);
    const batches = attempts.filter((a) => new URL(a.url).pathname === '/batch/');
    assert.equal(batches.length, expectedHits + 1,
        `[${name}] the SDK should have tried ${expectedHits + 1} times (${expectedHits} faulted, then accepted): ${JSON.stringify(attempts)}; SDK errors: ${sdkErrors.join('; ')}`);
    assert.equal(batches.at(-1).status, 200, `[${name}] the last attempt should be accepted: ${JSON.stringify(attempts)}`);

    const wanted = new Set(sent.map((e) => e.uuid));
    const mine = (all) => all.filter((ev) => ev.properties?.test_nonce === nonce);
    const got = mine(await collectEvents(BASE, {
        waitMs: 3000, totalMs: 15000, done: (seen) => mine(seen).filter((ev) => wanted.has(ev.uuid)).length >= sent.length,
    }));
    for (const e of sent) {
        const n = got.filter((ev) => ev.uuid === e.uuid).length;
        assert.equal(n, 1, `[${name}] ${e.event} (uuid ${e.uuid}) should be captured exactly once, was ${n} times:\n  ${got.map(brief).join('\n  ')}`);
    }

    await assertFaultUsedUp(BASE, `[${name}]`, expectedHits);
    const rejected = (await getRejected(BASE)).slice(rejectedBefore);
    assert.equal(rejected.length, expectedHits, `[${name}] rejected requests: ${JSON.stringify(rejected, null, 2)}`);
    for (const r of rejected) {
        assert.match(r.reason, /^fault injected: /, `[${name}] reason: ${JSON.stringify(r)}`);
        assert.equal(r.path, '/batch/', `[${name}] path: ${JSON.stringify(r)}`);
    }

    const runs = (await getJson(`${BASE}/eventlens/v1/runs`)).runs;
    const run = runs.find((r) => r.key === runId || JSON.stringify(r).includes(runId));
    assert.ok(run, `[${name}] the run ${runId} should be in GET /eventlens/v1/runs: ${JSON.stringify(runs).slice(0, 1000)}`);
    assert.equal(run.state, 'finished', `[${name}] the run should have finished: ${JSON.stringify(run)}`);
    console.log(`ok - posthog-node through ${name}: ${batches.map((a) => a.status).join(' → ')}; ${sent.length} events captured once each; run ${run.state}`);
}

async function main() {
    await assertSinkHealthy(BASE);
    await runCase('three 503s', { mode: 'status', status: 503, retry_after: 1, count: 3, path: '/batch/' }, 3);
    await runCase('two resets', { mode: 'reset', count: 2, path: '/batch/' }, 2);
    await runCase('a timeout', { mode: 'timeout', ms: 300, count: 1, path: '/batch/' }, 1);
}

main().then(() => process.exit(0), (err) => {
    console.error(`FAIL faults.test.mjs: ${err?.stack || err}`);
    process.exit(1);
});

// SPDX-License-Identifier: MIT
// End-to-end fault injection (issue 17), browser half: the real posthog-js SDK in Debian's Chromium (driven by
// playwright-core, page served from another origin, like browser-client.test.mjs) against an EventLens sink told to
// fail on purpose (POST /eventlens/v1/faults). Case 1: the sink answers the capture POST 503 three times
// (Retry-After 1); case 2: it resets the connection twice. posthog-js's own RetryQueue retries (nothing in the SDK
// is patched); every event must be captured exactly once (by uuid and by test_event_index), the fault must be used
// up with exactly `count` hits, each hit listed as rejected with "fault injected: ...", the page's own fetch log
// must show the faulted attempts then a 200, and the BYOK run must finish (GET /eventlens/v1/runs).
//
// posthog-js 1.449.x retry timing (lib/src/retry-queue.js): a 5xx or a failed fetch (status 0) is re-queued after
// 3 s * 2^n +/- 25 % (n = retries so far; at least the Retry-After it could read), and the queue is polled every
// 3 s, so three 503s cost about 3 + 6 + 12 s. The sink exposes Retry-After to other origins
// (Access-Control-Expose-Headers), so the page reads the fault's "1"; 1 s is below the backoff anyway. A reset of a POST
// sent on a reused keep-alive connection is resent once by Chromium itself before the page sees anything, so the two
// resets usually reach posthog-js as one failed fetch (two fault hits, one retry of ~3 s); the checks attribute
// every hit to an attempt of the page by its retry_count. This test waits on conditions only.
// Run it through run-with-sink.sh (CTest does, with EVENTLENS_TEST_TIMEOUT raised).
//
// Env: EVENTLENS_URL (required), CHROMIUM_PATH (default /usr/bin/chromium),
//      EVENTLENS_TEST_DEBUG=1 (posthog-js debug logging + always print the browser console).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
    DEBUG, POSTHOG_JS_VERSION, baseInitOptions, browserLog, launchChromium, pageHtml, printFailure, startPageServer,
    watchPage,
} from './browser-harness.mjs';
import {
    assertFaultUsedUp, assertSinkHealthy, brief, collectEvents, getJson, getRejected, installFault, sinkApi, sinkUrl,
} from './sink-api.mjs';

const BASE = sinkUrl();
const API_KEY = 'phc_eventlens_browser_faults';
// posthog-js posts events to /e/ unless the remote config names another endpoint (the sink's does not). The faults
// are scoped to it, so /array/<key>/config and /flags are never touched (the sink never faults those anyway).
const CAPTURE_PATH = '/e/';

/**
 * One case in a fresh browser context (its own posthog-js instance and retry queue): add the fault, load the page,
 * wait until the sink answered 200 to POSTs carrying every event, then check the sink and the page's request log.
 */
async function runCase(env, { name, slug, fault, pageStatus, waitMs }) {
    const { browser, server, pages, note } = env;
    const expectedHits = fault.count;
    await installFault(BASE, `[${name}]`, fault);
    const rejectedBefore = (await getRejected(BASE)).length;

    const nonce = randomUUID();
    const distinctId = `web-faults-${slug}-${nonce.slice(0, 8)}`;
    const runId = `run_${nonce.slice(0, 12)}`;
    const superProps = { env: 'eventlens_ci', client_type: 'web', runtime_type: 'byok', configure_type: 'byok',
                         device_id: distinctId, test_nonce: nonce };
    const run = { run_id: runId, project_id: 'proj_web_faults', conversation_id: 'conv_1', agent_provider_id: 'openai' };
    const sent = [
        { event: 'page_view', properties: { page_name: 'chat_panel', area: 'chat_panel' } },
        { event: 'run_created', properties: { ...run, area: 'chat_composer', turn_index: 0 } },
        { event: 'ui_click', properties: { page_name: 'chat_panel', area: 'chat_panel', element: 'send_button' } },
        { event: 'run_finished', properties: { ...run, result: 'success' } },
    ].map((e, i) => ({ ...e, properties: { ...e.properties, test_event_index: i } }));

    const path = `/case/${slug}`;
    // A 4xx to any POST ends the wait (posthog-js drops such a batch), not only one to CAPTURE_PATH.
    pages.set(path, pageHtml({ apiKey: API_KEY, apiHost: BASE, capturePaths: [CAPTURE_PATH], anyPostRefused: true,
                               superProps, events: sent, init: { ...baseInitOptions(BASE), bootstrap: { distinctID: distinctId } } },
                             'faults test'));
    const context = await browser.newContext();
    let wire = [];
    let got = [];
    try {
        const page = await context.newPage();
        const tag = `[${name}]`;
        watchPage(page, note, tag);
        page.on('response', (r) => {
            if (new URL(r.url()).origin === new URL(BASE).origin) note(`${tag} sink response: ${r.request().method()} ${r.url()} -> ${r.status()}`);
        });
        const started = Date.now();
        try {
            await page.goto(`http://localhost:${server.address().port}${path}`, { waitUntil: 'load', timeout: 30000 });
            await page.waitForFunction(() => window.__done === true || window.__fatal !== null, null, { timeout: waitMs, polling: 250 })
                .catch((err) => { throw new Error(`${tag} posthog-js did not get every event acknowledged within ${waitMs / 1000} s: ${err.message}`); });
        } finally {
            wire = await page.evaluate(() => window.__wire || []).catch((e) => [{ error: `could not read page state: ${e}` }]);
            env.lastWire = wire;
        }
        const fatal = await page.evaluate(() => window.__fatal);
        assert.equal(fatal, null, `${tag} page reported: ${fatal}`);
        const elapsed = Date.now() - started;
        // Closing the page unloads posthog-js: anything still in its retry queue would go out now (sendBeacon), and
        // would show up below as a duplicate.
        await context.close();

        // The page's own log: only capture POSTs to CAPTURE_PATH; each batch (same events) fails, then one 200.
        const posts = wire.filter((r) => r.method === 'POST');
        for (const r of posts) {
            assert.equal(r.path, CAPTURE_PATH, `${tag} posthog-js posted to ${r.path}, not ${CAPTURE_PATH} (a new posthog-js? move the fault): ${JSON.stringify(r)}`);
            assert.ok(!r.error || r.status === 0, `${tag} ${JSON.stringify(r)}`);
        }
        const batches = new Map(); // the events' uuids -> attempts, in the order they were sent
        for (const r of posts) {
            const key = r.events.map((e) => e.uuid).sort().join(',');
            if (!batches.has(key)) batches.set(key, []);
            batches.get(key).push(r);
        }
        const describe = (attempts) => attempts.map((a, i) => (i ? ` →(${((a.sentAt - attempts[i - 1].answeredAt) / 1000).toFixed(1)} s) ` : '')
            + `${a.status}${a.retryCount ? ` [retry_count=${a.retryCount}]` : ''}`).join('');
        const wireLog = () => [...batches.values()].map(describe).join('; ');
        for (const attempts of batches.values()) {
            const statuses = attempts.map((a) => a.status);
            assert.equal(statuses.at(-1), 200, `${tag} the last attempt of a batch should be accepted: ${describe(attempts)}`);
            assert.ok(statuses.slice(0, -1).every((s) => s === pageStatus),
                `${tag} every earlier attempt should have failed with ${pageStatus}: ${describe(attempts)}`);
            attempts.forEach((a, i) => assert.equal(a.retryCount, i ? String(i) : null, `${tag} retry_count of attempt ${i + 1}: ${describe(attempts)}`));
        }
        const failedAttempts = posts.filter((a) => a.status !== 200);
        assert.ok(failedAttempts.length >= 1, `${tag} posthog-js should have seen at least one faulted attempt: ${wireLog()}`);

        // The sink: every event exactly once, by uuid and by index.
        const sentUuid = new Map();
        for (const r of posts) for (const e of r.events) if (e.index !== undefined) sentUuid.set(e.index, e.uuid);
        assert.equal(sentUuid.size, sent.length, `${tag} the page log should hold every event: ${JSON.stringify(posts)}`);
        got = await collectEvents(BASE, { distinctId, waitMs: 3000, totalMs: 20000,
            done: (seen) => new Set(seen.map((ev) => ev.properties?.test_event_index)).size >= sent.length });
        const ctx = () => `\n  events of this case in the sink:\n    ${got.map(brief).join('\n    ') || '(none)'}`;
        for (const e of sent) {
            const i = e.properties.test_event_index;
            const uuid = sentUuid.get(i);
            const byIndex = got.filter((ev) => ev.properties?.test_event_index === i);
            const byUuid = got.filter((ev) => ev.uuid === uuid);
            assert.equal(byIndex.length, 1, `${tag} ${e.event} #${i} should be captured exactly once, was ${byIndex.length} times${ctx()}`);
            assert.equal(byUuid.length, 1, `${tag} uuid ${uuid} (${e.event} #${i}) should be captured exactly once, was ${byUuid.length} times${ctx()}`);
            assert.equal(byIndex[0].uuid, uuid, `${tag} ${e.event} #${i}: uuid as sent by the browser${ctx()}`);
            assert.equal(byIndex[0].event, e.event, `${tag} #${i}: event name${ctx()}`);
            assert.equal(byIndex[0].properties.test_nonce, nonce, `${tag} #${i}: test_nonce${ctx()}`);
            assert.equal(byIndex[0].endpoint, CAPTURE_PATH, `${tag} #${i}: endpoint${ctx()}`);
            assert.equal(byIndex[0].lib, 'web', `${tag} #${i}: lib${ctx()}`);
        }
        assert.equal(got.length, sent.length, `${tag} the sink holds events of this user that were not sent${ctx()}`);

        // The fault: used up, exactly `count` hits; each hit listed as rejected.
        await assertFaultUsedUp(BASE, tag, expectedHits);
        const rejected = (await getRejected(BASE)).slice(rejectedBefore);
        assert.equal(rejected.length, expectedHits, `${tag} the rejected list should have grown by ${expectedHits}: ${JSON.stringify(rejected, null, 2)}`);
        for (const r of rejected) {
            assert.match(r.reason, /^fault injected: /, `${tag} reason: ${JSON.stringify(r)}`);
            assert.equal(r.method, 'POST', `${tag} method: ${JSON.stringify(r)}`);
            assert.equal(r.path, CAPTURE_PATH, `${tag} path: ${JSON.stringify(r)}`);
            assert.equal(r.status, fault.mode === 'status' ? fault.status : 0, `${tag} status: ${JSON.stringify(r)}`);
        }

        // Each hit belongs to an attempt of the page (same retry_count in the URL). A 503 is an answer: one hit per
        // attempt the page saw fail. A reset of a request sent on a reused keep-alive connection is resent once on
        // a fresh connection by Chromium itself (net::HttpNetworkTransaction::ShouldResendRequest), before the page
        // sees anything: such an attempt costs the fault two hits.
        const retryOf = (r) => new URLSearchParams(r.query || '').get('retry_count');
        const hitsByRetry = new Map();
        for (const r of rejected) hitsByRetry.set(retryOf(r), (hitsByRetry.get(retryOf(r)) ?? 0) + 1);
        const perAttempt = [];
        for (const [k, n] of hitsByRetry) {
            const attempts = posts.filter((a) => a.retryCount === k);
            const failed = attempts.filter((a) => a.status !== 200).length;
            assert.ok(attempts.length >= 1, `${tag} ${n} fault hit(s) on retry_count=${k}, which the page never sent: ${wireLog()}`);
            if (fault.mode === 'status') assert.equal(n, failed, `${tag} retry_count=${k}: ${n} hit(s), ${failed} failed attempt(s) in the page: ${wireLog()}`);
            else assert.ok(n >= failed, `${tag} retry_count=${k}: ${n} hit(s), ${failed} failed attempt(s) in the page: ${wireLog()}`);
            perAttempt.push(`retry_count=${k ?? '(none)'}: ${n} hit(s)${n > attempts.length ? ' (Chromium resent it on a fresh connection)' : ''}`);
        }
        for (const a of failedAttempts) {
            assert.ok(hitsByRetry.has(a.retryCount), `${tag} the page saw attempt retry_count=${a.retryCount} fail, but the fault did not hit it: ${wireLog()}`);
        }

        // The BYOK run (run_created + run_finished, one run_id) finished despite the faults.
        const runs = (await getJson(`${BASE}/eventlens/v1/runs?distinct_id=${encodeURIComponent(distinctId)}`)).runs;
        const found = runs.find((r) => r.key === runId || JSON.stringify(r).includes(runId));
        assert.ok(found, `${tag} the run ${runId} should be in GET /eventlens/v1/runs: ${JSON.stringify(runs).slice(0, 1000)}`);
        assert.equal(found.state, 'finished', `${tag} the run should have finished: ${JSON.stringify(found)}`);

        const retryAfter = [...new Set(posts.filter((r) => r.status >= 500).map((r) => JSON.stringify(r.retryAfter)))];
        if (fault.mode === 'status') {
            assert.deepEqual(retryAfter, [JSON.stringify(String(fault.retry_after))],
                `${tag} the page should read the fault's Retry-After (Access-Control-Expose-Headers): ${wireLog()}`);
        }
        console.log(`ok - posthog-js ${POSTHOG_JS_VERSION} through ${name}: ${wireLog()} in ${(elapsed / 1000).toFixed(1)} s;`
            + ` fault hits: ${perAttempt.join(', ')}; ${sent.length} events captured once each; run ${found.state}`
            + (retryAfter.length ? `; Retry-After as the page read it: ${retryAfter.join(', ')}` : ''));
    } catch (err) {
        env.lastGot = got;
        throw err;
    } finally {
        await context.close().catch(() => {});
    }
}

async function main() {
    const { lines: log, note } = browserLog();
    const env = { pages: new Map(), note, lastWire: [], lastGot: [] };
    try {
        await assertSinkHealthy(BASE);
        env.server = await startPageServer(env.pages);
        env.browser = await launchChromium();
        env.note(`browser ${env.browser.version()}, sink ${BASE}`);
        // Three 503s: about 3 + 6 + 12 s of backoff (up to ~30 s with jitter and the 3 s poll); two resets: ~9 s.
        await runCase(env, { name: 'three 503s', slug: '503', pageStatus: 503, waitMs: 75000,
                             fault: { mode: 'status', status: 503, retry_after: 1, count: 3, path: CAPTURE_PATH } });
        await runCase(env, { name: 'two resets', slug: 'reset', pageStatus: 0, waitMs: 50000,
                             fault: { mode: 'reset', count: 2, path: CAPTURE_PATH } });
        if (DEBUG) console.log(log.join('\n'));
    } catch (err) {
        const faults = await sinkApi(BASE, 'GET', '/eventlens/v1/faults').then((r) => r.json, (e) => `<${e}>`);
        await printFailure('browser-faults.test.mjs', err, { base: BASE, sections: [['GET /eventlens/v1/faults', faults]], log,
                                                            wire: env.lastWire, got: env.lastGot, whose: 'the failing case' });
        process.exitCode = 1;
    } finally {
        await env.browser?.close().catch(() => {});
        env.server?.close();
    }
}

await main();
process.exit(process.exitCode ?? 0);

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
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { brief, getJson, getRejected, sinkUrl } from './sink-api.mjs';

const require = createRequire(import.meta.url);
const POSTHOG_JS_FILE = require.resolve('posthog-js/dist/array.full.js');
const POSTHOG_JS_VERSION = JSON.parse(readFileSync(require.resolve('posthog-js/package.json'), 'utf8')).version;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DEBUG = process.env.EVENTLENS_TEST_DEBUG === '1';
const BASE = sinkUrl();
const API_KEY = 'phc_eventlens_browser_faults';
// posthog-js posts events to /e/ unless the remote config names another endpoint (the sink's does not). The faults
// are scoped to it, so /array/<key>/config and /flags are never touched (the sink never faults those anyway).
const CAPTURE_PATH = '/e/';

async function api(method, path, body) {
    const res = await fetch(`${BASE}${path}`, {
        method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        signal: AbortSignal.timeout(30000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Long-polls GET /eventlens/v1/events?distinct_id=... until done(seen) or totalMs; returns this user's events. */
async function eventsOf(distinctId, { done, totalMs = 20000, waitMs = 3000 }) {
    const seen = [];
    let since = 0;
    const deadline = Date.now() + totalMs;
    for (;;) {
        const q = new URLSearchParams({ distinct_id: distinctId, since: String(since), limit: '1000', wait_ms: String(waitMs) });
        const body = await getJson(`${BASE}/eventlens/v1/events?${q}`, waitMs + 15000);
        assert.ok(body && Array.isArray(body.events), `GET /eventlens/v1/events: ${JSON.stringify(body).slice(0, 500)}`);
        seen.push(...body.events);
        if (typeof body.next === 'number' && body.next > since) since = body.next;
        else if (body.events.length) since = Math.max(since, ...body.events.map((e) => e.seq ?? 0));
        if (done(seen) || Date.now() >= deadline) return seen;
    }
}

const initOptions = {
    api_host: BASE,
    opt_out_useragent_filter: true, // headless Chromium's UA would otherwise be dropped as a bot
    persistence: 'memory',
    autocapture: false,
    capture_pageview: false,
    capture_pageleave: false,
    disable_session_recording: true,
    disable_surveys: true,
    // The only queue setting posthog-js offers (250..5000 ms): how long captures are batched before the first POST.
    // The retry backoff itself is not configurable.
    request_queue_config: { flush_interval_ms: 250 },
    debug: DEBUG,
};

// Installed before array.full.js: records every request the page sends to the sink, its status (0 = the fetch
// failed, e.g. a reset), the retry_count posthog-js puts on retries, the Retry-After it could read, and the
// test_event_index/uuid of each event in the body (decoded like browser-client.test.mjs does).
const PAGE_SCRIPT = String.raw`
(function () {
    const cfg = window.__cfg;
    window.__wire = [];
    window.__done = false;
    window.__fatal = null;
    const sink = cfg.apiHost;
    const origFetch = window.fetch.bind(window);
    const gunzip = async (bytes) => new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    async function decodeBody(bytes, url, contentType) {
        let text;
        if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
            text = new TextDecoder().decode(await gunzip(bytes));
        } else if ((contentType || '').includes('x-www-form-urlencoded') || url.includes('compression=base64')) {
            const data = new URLSearchParams(new TextDecoder().decode(bytes)).get('data') || '';
            text = new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
        } else {
            text = new TextDecoder().decode(bytes);
        }
        const json = JSON.parse(text);
        return Array.isArray(json) ? json : Array.isArray(json.batch) ? json.batch : [json];
    }
    window.fetch = async function (input, init) {
        const url = typeof input === 'string' ? input : (input && input.url) || String(input);
        if (!url.startsWith(sink)) return origFetch(input, init);
        const u = new URL(url);
        const rec = { method: ((init && init.method) || 'GET').toUpperCase(), path: u.pathname,
                      retryCount: u.searchParams.get('retry_count'), sentAt: Date.now(), answeredAt: null,
                      events: [], status: null, retryAfter: null, error: null };
        window.__wire.push(rec);
        if (init && init.body != null) {
            try {
                const bytes = new Uint8Array(await new Response(init.body).arrayBuffer());
                const headers = new Headers((init && init.headers) || {});
                rec.events = (await decodeBody(bytes, url, headers.get('content-type'))).map((e) => ({
                    event: e.event, uuid: e.uuid, index: e.properties ? e.properties.test_event_index : undefined }));
            } catch (err) {
                rec.error = 'could not decode request body in page: ' + err;
            }
        }
        try {
            const res = await origFetch(input, init);
            rec.status = res.status;
            rec.retryAfter = res.headers.get('Retry-After'); // readable because the sink exposes it to other origins
            rec.answeredAt = Date.now();
            return res;
        } catch (err) {
            rec.status = 0;
            rec.answeredAt = Date.now();
            rec.error = String(err);
            throw err;
        }
    };
    window.addEventListener('error', (e) => { window.__fatal = window.__fatal || ('page error: ' + e.message); });
})();
`;

const MAIN_SCRIPT = String.raw`
(function () {
    const cfg = window.__cfg;
    try {
        if (!window.posthog || typeof window.posthog.init !== 'function') throw new Error('window.posthog was not set by array.full.js');
        window.posthog.init(cfg.apiKey, cfg.init);
        window.posthog.register(cfg.superProps);
        for (const e of cfg.events) window.posthog.capture(e.event, e.properties);
    } catch (err) {
        window.__fatal = 'page script failed: ' + (err && err.stack || err);
        return;
    }
    const want = cfg.events.map((e) => e.properties.test_event_index);
    const timer = setInterval(() => {
        const delivered = new Set();
        for (const r of window.__wire) {
            if (r.method === 'POST' && r.path === cfg.capturePath && r.status === 200) {
                for (const e of r.events) delivered.add(e.index);
            }
        }
        const refused = window.__wire.find((r) => r.method === 'POST' && r.status >= 400 && r.status < 500);
        if (refused) {
            clearInterval(timer); // posthog-js drops a batch answered 4xx: no point in waiting
            window.__fatal = 'the sink answered a POST to ' + refused.path + ' with HTTP ' + refused.status;
        } else if (want.every((i) => delivered.has(i))) {
            clearInterval(timer);
            window.__done = true;
        }
    }, 100);
})();
`;

function pageHtml(cfg) {
    const json = JSON.stringify(cfg).replace(/</g, '\\u003c');
    return `<!doctype html>
<html><head><meta charset="utf-8"><title>EventLens posthog-js faults test</title>
<script>window.__cfg = ${json};</script>
<script>${PAGE_SCRIPT}</script>
<script src="/posthog-js/array.full.js"></script>
</head><body><h1>EventLens posthog-js ${POSTHOG_JS_VERSION} faults test</h1>
<script>${MAIN_SCRIPT}</script>
</body></html>`;
}

/** Serves the page of each case at /case/<name> (set in `pages`) and posthog-js itself. */
function startPageServer(pages) {
    const js = readFileSync(POSTHOG_JS_FILE);
    const server = http.createServer((req, res) => {
        const path = new URL(req.url, 'http://x').pathname;
        if (pages.has(path)) {
            res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
            res.end(pages.get(path));
        } else if (path === '/posthog-js/array.full.js') {
            res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
            res.end(js);
        } else if (path === '/favicon.ico') {
            res.writeHead(204);
            res.end();
        } else {
            res.writeHead(404, { 'Content-Type': 'text/plain' });
            res.end('not found');
        }
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
    });
}

/**
 * One case in a fresh browser context (its own posthog-js instance and retry queue): add the fault, load the page,
 * wait until the sink answered 200 to POSTs carrying every event, then check the sink and the page's request log.
 */
async function runCase(env, { name, slug, fault, pageStatus, waitMs }) {
    const { browser, server, pages, note } = env;
    const expectedHits = fault.count;
    const cleared = await api('DELETE', '/eventlens/v1/faults');
    assert.equal(cleared.status, 200, `[${name}] DELETE /eventlens/v1/faults: ${JSON.stringify(cleared)}`);
    const added = await api('POST', '/eventlens/v1/faults', fault);
    assert.equal(added.status, 201, `[${name}] POST /eventlens/v1/faults: ${JSON.stringify(added)}`);
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
    pages.set(path, pageHtml({ apiKey: API_KEY, apiHost: BASE, capturePath: CAPTURE_PATH, superProps, events: sent,
                               init: { ...initOptions, bootstrap: { distinctID: distinctId } } }));
    const context = await browser.newContext();
    let wire = [];
    let got = [];
    try {
        const page = await context.newPage();
        const tag = `[${name}]`;
        page.on('console', (m) => note(`${tag} console.${m.type()}: ${m.text()}`));
        page.on('pageerror', (e) => note(`${tag} pageerror: ${e.stack || e}`));
        page.on('requestfailed', (r) => note(`${tag} requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
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
        got = await eventsOf(distinctId, { done: (seen) => new Set(seen.map((ev) => ev.properties?.test_event_index)).size >= sent.length });
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
        const faults = (await api('GET', '/eventlens/v1/faults')).json.faults;
        assert.equal(faults.length, 1, `${tag} GET /eventlens/v1/faults: ${JSON.stringify(faults)}`);
        assert.equal(faults[0].hits, expectedHits, `${tag} the fault should have hit ${expectedHits} requests: ${JSON.stringify(faults[0])}`);
        assert.equal(faults[0].active, false, `${tag} the fault should be used up: ${JSON.stringify(faults[0])}`);
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
    const log = [];
    const env = { pages: new Map(), note: (line) => log.push(`${new Date().toISOString().slice(11, 23)} ${line}`), lastWire: [], lastGot: [] };
    try {
        const health = await getJson(`${BASE}/eventlens/v1/health`);
        assert.equal(health.status, 'ok', `health: ${JSON.stringify(health)}`);
        env.server = await startPageServer(env.pages);
        env.browser = await chromium.launch({
            executablePath: CHROMIUM,
            headless: true,
            timeout: 60000,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                   '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        });
        env.note(`browser ${env.browser.version()}, sink ${BASE}`);
        // Three 503s: about 3 + 6 + 12 s of backoff (up to ~30 s with jitter and the 3 s poll); two resets: ~9 s.
        await runCase(env, { name: 'three 503s', slug: '503', pageStatus: 503, waitMs: 75000,
                             fault: { mode: 'status', status: 503, retry_after: 1, count: 3, path: CAPTURE_PATH } });
        await runCase(env, { name: 'two resets', slug: 'reset', pageStatus: 0, waitMs: 50000,
                             fault: { mode: 'reset', count: 2, path: CAPTURE_PATH } });
        if (DEBUG) console.log(log.join('\n'));
    } catch (err) {
        console.error(`FAIL browser-faults.test.mjs: ${err?.stack || err}`);
        const faults = await api('GET', '/eventlens/v1/faults').then((r) => r.json, (e) => `<${e}>`);
        console.error(`----- GET /eventlens/v1/faults -----\n${JSON.stringify(faults, null, 2)}`);
        const rejected = await getRejected(BASE).catch((e) => `<${e}>`);
        console.error(`----- GET /eventlens/v1/rejected -----\n${JSON.stringify(rejected, null, 2)}`);
        console.error('----- browser console / network log -----');
        console.error(log.join('\n') || '(empty)');
        console.error('----- requests the page of the failing case sent to the sink -----');
        console.error(env.lastWire.map((r) => JSON.stringify(r)).join('\n') || '(none recorded)');
        if (env.lastGot.length) console.error(`----- events of the failing case in the sink -----\n${env.lastGot.map(brief).join('\n')}`);
        process.exitCode = 1;
    } finally {
        await env.browser?.close().catch(() => {});
        env.server?.close();
    }
}

await main();
process.exit(process.exitCode ?? 0);

// SPDX-License-Identifier: MIT
// End-to-end: the real posthog-js browser SDK, in Debian's Chromium (driven by playwright-core),
// -> EventLens sink (EVENTLENS_URL), checked via the inspection API.
// Starts no sink itself; run it through run-with-sink.sh (CTest does).
//
// The page is served by a tiny HTTP server on another origin (http://localhost:<random port>/),
// loads node_modules/posthog-js/dist/array.full.js (exposes window.posthog), initialises it like
// the open-design web client (opt_out_useragent_filter: true, register()ed super-properties incl.
// runtime_type 'byok'), leaves compression at its default so the sink's remote config decides
// (the sink advertises gzip, so real CompressionStream/fflate gzip must be decoded), captures a few
// events and sets window.__done once the sink answered 200 to POSTs carrying all of them.
//
// Env: EVENTLENS_URL (required), CHROMIUM_PATH (default /usr/bin/chromium),
//      EVENTLENS_TEST_DEBUG=1 (posthog-js debug logging + always print the browser console).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { brief, collectEvents, encodingOf, getJson, getRejected, sinkUrl } from './sink-api.mjs';

const require = createRequire(import.meta.url);
const POSTHOG_JS_FILE = require.resolve('posthog-js/dist/array.full.js');
const POSTHOG_JS_VERSION = JSON.parse(readFileSync(require.resolve('posthog-js/package.json'), 'utf8')).version;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DEBUG = process.env.EVENTLENS_TEST_DEBUG === '1';
const BASE = sinkUrl();
const API_KEY = 'phc_eventlens_browser_test';
const CAPTURE_PATHS = ['/e/', '/i/v0/e/'];

const nonce = randomUUID();
const distinctId = `web-test-${nonce.slice(0, 8)}`;
const runId = `run_${nonce.slice(0, 12)}`;
const sessionId = randomUUID();

// Super-properties as open-design's web client registers them (open-design-analytics.md §2.4, §1.1).
const superProps = {
    event_schema_version: 2, env: 'eventlens_ci', ui_version: '0.0.0-test', app_version: '0.0.0-test',
    client_type: 'web', locale: 'en', session_id: sessionId, device_id: distinctId,
    has_available_configure_cli: false, configure_type: 'byok', configure_availability: 'available',
    runtime_type: 'byok', cli_runnable: false, byok_runnable: true, amr_runnable: false,
    test_nonce: nonce,
};
const runProps = {
    page_name: 'chat_panel', area: 'chat_composer', entry_from: 'chat_composer', turn_index: 0, is_first_run: true,
    project_id: 'proj_web_1', conversation_id: 'conv_1', run_id: runId, project_kind: 'prototype',
    design_system_source: 'default', has_attachment: false, user_query_tokens: 42, model_id: 'gpt-5',
    agent_provider_id: 'openai', skill_id: null, mcp_id: null, token_count_source: 'estimated',
};
// test_event_index identifies each capture() call; every event carries the super-properties.
const sent = [
    { event: 'page_view', properties: { page_name: 'home', area: 'home' } },
    { event: 'ui_click', properties: { page_name: 'home', area: 'chat_composer', element: 'send_button' } },
    { event: 'surface_view', properties: { page_name: 'chat_panel', area: 'chat_panel', surface: 'composer' } },
    { event: 'run_created', properties: runProps },
    { event: 'ui_click', properties: { page_name: 'chat_panel', area: 'chat_panel', element: 'stop', label: 'Stopp ✓ — 日本語' } },
].map((e, i) => ({ ...e, properties: { ...e.properties, test_event_index: i } }));

const initOptions = {
    api_host: BASE,
    opt_out_useragent_filter: true, // headless Chromium's UA would otherwise be dropped as a bot
    bootstrap: { distinctID: distinctId },
    persistence: 'memory',
    autocapture: false,
    capture_pageview: false,
    capture_pageleave: false,
    disable_session_recording: true,
    disable_surveys: true,
    request_queue_config: { flush_interval_ms: 250 },
    debug: DEBUG,
    // compression deliberately left at the default: the sink's remote config decides.
};

const PAGE_SCRIPT = String.raw`
(function () {
    const cfg = window.__cfg;
    window.__wire = [];          // every request the page sent to the sink, decoded
    window.__done = false;
    window.__fatal = null;
    const sink = cfg.apiHost;
    const origFetch = window.fetch.bind(window);
    const gunzip = async (bytes) => new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    async function decodeBody(bytes, url, contentType) {
        let text;
        let encoding;
        if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
            encoding = 'gzip';
            text = new TextDecoder().decode(await gunzip(bytes));
        } else if ((contentType || '').includes('x-www-form-urlencoded') || url.includes('compression=base64')) {
            encoding = 'base64';
            const data = new URLSearchParams(new TextDecoder().decode(bytes)).get('data') || '';
            text = new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
        } else {
            encoding = 'json';
            text = new TextDecoder().decode(bytes);
        }
        const json = JSON.parse(text);
        const events = Array.isArray(json) ? json : Array.isArray(json.batch) ? json.batch : [json];
        return { encoding, events };
    }
    window.fetch = async function (input, init) {
        const url = typeof input === 'string' ? input : (input && input.url) || String(input);
        if (!url.startsWith(sink)) return origFetch(input, init);
        const method = ((init && init.method) || 'GET').toUpperCase();
        const headers = new Headers((init && init.headers) || {});
        const rec = { method, url, path: new URL(url).pathname, contentType: headers.get('content-type'), size: 0,
                      encoding: null, events: [], status: null, error: null };
        window.__wire.push(rec);
        if (init && init.body != null) {
            try {
                const bytes = new Uint8Array(await new Response(init.body).arrayBuffer());
                rec.size = bytes.length;
                rec.firstBytes = Array.from(bytes.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
                const decoded = await decodeBody(bytes, url, rec.contentType);
                rec.encoding = decoded.encoding;
                rec.events = decoded.events.map((e) => ({ event: e.event, uuid: e.uuid,
                    index: e.properties ? e.properties.test_event_index : undefined }));
            } catch (err) {
                rec.error = 'could not decode request body in page: ' + err;
            }
        }
        try {
            const res = await origFetch(input, init);
            rec.status = res.status;
            return res;
        } catch (err) {
            rec.status = 0;
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
        window.posthog.init(cfg.apiKey, Object.assign({}, cfg.init, {
            loaded: () => console.log('[test] posthog loaded, version ' + window.posthog.version),
        }));
        window.posthog.register(cfg.superProps);
        for (const e of cfg.events) window.posthog.capture(e.event, e.properties);
        console.log('[test] captured ' + cfg.events.length + ' events');
    } catch (err) {
        window.__fatal = 'page script failed: ' + (err && err.stack || err);
        return;
    }
    const want = cfg.events.map((e) => e.properties.test_event_index);
    const timer = setInterval(() => {
        const delivered = new Set();
        for (const r of window.__wire) {
            if (r.method === 'POST' && cfg.capturePaths.includes(r.path) && r.status === 200) {
                for (const e of r.events) delivered.add(e.index);
            }
        }
        const refused = window.__wire.find((r) => r.method === 'POST' && cfg.capturePaths.includes(r.path) && r.status >= 400 && r.status < 500);
        if (refused) {
            // posthog-js drops a batch answered with 4xx (no retry): no point in waiting.
            clearInterval(timer);
            window.__fatal = 'the sink answered a capture POST with HTTP ' + refused.status + ' (posthog-js drops such batches)';
        } else if (want.every((i) => delivered.has(i))) {
            clearInterval(timer);
            console.log('[test] all events acknowledged by the sink');
            window.__done = true;
        }
    }, 100);
})();
`;

function pageHtml(cfg) {
    const json = JSON.stringify(cfg).replace(/</g, '\\u003c');
    return `<!doctype html>
<html><head><meta charset="utf-8"><title>EventLens posthog-js test</title>
<script>window.__cfg = ${json};</script>
<script>${PAGE_SCRIPT}</script>
<script src="/posthog-js/array.full.js"></script>
</head><body><h1>EventLens posthog-js ${POSTHOG_JS_VERSION} test</h1>
<script>${MAIN_SCRIPT}</script>
</body></html>`;
}

function startPageServer(html) {
    const js = readFileSync(POSTHOG_JS_FILE);
    const server = http.createServer((req, res) => {
        const path = new URL(req.url, 'http://x').pathname;
        if (path === '/') {
            res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
            res.end(html);
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

async function main() {
    const log = [];   // browser console, page errors, failed requests, sink responses
    const note = (line) => log.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    let browser;
    let server;
    let wire = [];
    let got = [];
    let pageRef = null; // set while the page's own request log has not been read yet
    try {
        const health = await getJson(`${BASE}/eventlens/v1/health`);
        assert.equal(health.status, 'ok', `health: ${JSON.stringify(health)}`);
        const rejectedBefore = (await getRejected(BASE)).length;

        const cfg = { apiKey: API_KEY, apiHost: BASE, init: initOptions, superProps, events: sent, capturePaths: CAPTURE_PATHS };
        server = await startPageServer(pageHtml(cfg));
        const pageUrl = `http://localhost:${server.address().port}/`;
        assert.notEqual(new URL(pageUrl).origin, new URL(BASE).origin, 'page and sink must be on different origins');

        browser = await chromium.launch({
            executablePath: CHROMIUM,
            headless: true,
            timeout: 60000,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                   '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        });
        const context = await browser.newContext();
        const page = await context.newPage();
        pageRef = page;
        page.on('console', (m) => note(`console.${m.type()}: ${m.text()}`));
        page.on('pageerror', (e) => note(`pageerror: ${e.stack || e}`));
        page.on('requestfailed', (r) => note(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
        const remoteConfigs = [];
        page.on('response', async (r) => {
            const u = new URL(r.url());
            if (u.origin !== new URL(BASE).origin) return;
            const req = r.request();
            note(`sink response: ${req.method()} ${u.pathname}${u.search} -> ${r.status()} ` +
                 `(ACAO ${JSON.stringify(r.headers()['access-control-allow-origin'] ?? null)})`);
            if (/^\/array\/[^/]+\/config$/.test(u.pathname)) {
                remoteConfigs.push({ status: r.status(), body: await r.text().catch((e) => `<${e}>`) });
            }
        });

        note(`browser ${browser.version()}, page ${pageUrl}, sink ${BASE}`);
        await page.goto(pageUrl, { waitUntil: 'load', timeout: 30000 });
        await page.waitForFunction(() => window.__done === true || window.__fatal !== null, null, { timeout: 60000, polling: 100 })
            .catch((err) => { throw new Error(`posthog-js did not get all events acknowledged within 60 s: ${err.message}`); });
        const state = await page.evaluate(() => ({ fatal: window.__fatal, wire: window.__wire }));
        pageRef = null;
        wire = state.wire;
        assert.equal(state.fatal, null, `page reported: ${state.fatal}`);

        // What the browser put on the wire (the page's own decode of its request bodies).
        const capturePosts = wire.filter((r) => r.method === 'POST' && CAPTURE_PATHS.includes(r.path));
        assert.ok(capturePosts.length >= 1, 'posthog-js sent no capture POST');
        for (const r of capturePosts) {
            assert.equal(r.error, null, `page could not decode its own capture request: ${JSON.stringify(r)}`);
            assert.equal(r.status, 200, `sink answered capture POST with ${r.status}: ${JSON.stringify(r)}`);
        }
        const cfgRequests = wire.filter((r) => /^\/array\/[^/]+\/config$/.test(r.path));
        assert.ok(cfgRequests.length >= 1 && remoteConfigs.length >= 1, `posthog-js never fetched the remote config /array/${API_KEY}/config`);
        assert.equal(remoteConfigs[0].status, 200, `remote config answer: ${JSON.stringify(remoteConfigs[0])}`);
        const remote = JSON.parse(remoteConfigs[0].body);
        assert.ok(Array.isArray(remote.supportedCompression) && remote.supportedCompression.includes('gzip-js'),
            `remote config should advertise gzip-js: ${remoteConfigs[0].body}`);
        const gzipPosts = capturePosts.filter((r) => r.encoding === 'gzip');
        assert.ok(gzipPosts.length >= 1, `remote config advertises gzip, so posthog-js should send gzip capture bodies; sent: ${JSON.stringify(capturePosts)}`);
        const sentUuid = new Map();
        for (const r of capturePosts) for (const e of r.events) if (e.index !== undefined) sentUuid.set(e.index, e.uuid);

        // What the sink stored.
        const first = await collectEvents(BASE, {
            event: 'run_created', waitMs: 10000, totalMs: 30000,
            done: (seen) => seen.some((ev) => ev.properties?.test_nonce === nonce),
        });
        assert.ok(first.some((ev) => ev.properties?.test_nonce === nonce),
            `run_created never showed up in GET /eventlens/v1/events?event=run_created (saw ${first.length} other run_created events)`);
        const mine = (all) => all.filter((ev) => ev.properties?.test_nonce === nonce && ev.properties?.test_event_index !== undefined);
        const all = await collectEvents(BASE, {
            waitMs: 5000, totalMs: 20000,
            done: (seen) => new Set(mine(seen).map((ev) => ev.properties.test_event_index)).size >= sent.length,
        });
        got = mine(all);
        const ctx = () => `\n  events of this test in the sink:\n    ${got.map(brief).join('\n    ') || '(none)'}`;

        for (const e of sent) {
            const i = e.properties.test_event_index;
            const matches = got.filter((ev) => ev.properties.test_event_index === i);
            assert.equal(matches.length, 1, `${e.event} #${i} should arrive exactly once, arrived ${matches.length} times${ctx()}`);
            const ev = matches[0];
            const where = `${e.event} #${i} (seq ${ev.seq})`;
            assert.equal(ev.event, e.event, `${where}: event name`);
            assert.ok(CAPTURE_PATHS.includes(ev.endpoint), `${where}: endpoint ${JSON.stringify(ev.endpoint)} should be /e/ or /i/v0/e/`);
            assert.equal(ev.lib, 'web', `${where}: lib`);
            assert.equal(ev.lib_version, POSTHOG_JS_VERSION, `${where}: lib_version`);
            assert.equal(ev.api_key, API_KEY, `${where}: api_key`);
            assert.equal(ev.distinct_id, distinctId, `${where}: distinct_id (posthog-js sends it in properties.distinct_id)`);
            if (sentUuid.has(i)) assert.equal(ev.uuid, sentUuid.get(i), `${where}: uuid as sent by the browser`);
            assert.match(String(ev.user_agent), /Chrome\//, `${where}: user_agent`);
            assert.ok(!Number.isNaN(Date.parse(ev.timestamp)), `${where}: timestamp ${JSON.stringify(ev.timestamp)} should parse`);
            assert.equal(ev.recording, false, `${where}: recording`);
            assert.ok(Array.isArray(ev.violations), `${where}: violations should be an array`);
            for (const [k, v] of Object.entries(superProps)) {
                assert.deepEqual(ev.properties[k], v, `${where}: super-property ${k}`);
            }
            for (const [k, v] of Object.entries(e.properties)) {
                assert.deepEqual(ev.properties[k], v, `${where}: property ${k} as sent`);
            }
            assert.equal(ev.properties.$lib, 'web', `${where}: properties.$lib`);
            assert.equal(ev.runtime_type, 'byok', `${where}: extracted runtime_type`);
            if (e.properties.run_id !== undefined) assert.equal(ev.run_id, runId, `${where}: extracted run_id`);
            else assert.ok(ev.run_id === undefined || ev.run_id === null, `${where}: run_id must stay absent, got ${JSON.stringify(ev.run_id)}`);
        }

        // Nothing the browser sent may have been refused. posthog-js probes /array/<key>/config.js
        // (the sink answers 404 by design); tolerate that one if the sink lists it.
        const rejected = (await getRejected(BASE)).slice(rejectedBefore);
        const unexpected = rejected.filter((r) => !(/^\/array\/[^/]+\/config\.js$/.test(r.path) && r.status === 404));
        assert.deepEqual(unexpected, [], `the sink rejected requests:\n${JSON.stringify(unexpected, null, 2)}`);

        const encodings = [...new Set(capturePosts.map((r) => `${r.encoding} (${r.contentType})`))].join(', ');
        const endpoints = [...new Set(got.map((ev) => ev.endpoint))].join(', ');
        const requests = new Set(got.map((ev) => ev.request_id)).size;
        console.log(`ok - posthog-js ${POSTHOG_JS_VERSION} in Chromium ${browser.version()}: ${got.length} events on ${endpoints} in ${requests} request(s)`);
        console.log(`     browser sent: ${encodings}; sink says ${encodingOf(got[0])}; remote config: ${remoteConfigs[0].body}`);
        if (rejected.length) console.log(`     (tolerated rejected entries: ${rejected.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')})`);
        if (DEBUG) console.log(log.join('\n'));
    } catch (err) {
        if (pageRef) wire = await pageRef.evaluate(() => window.__wire || []).catch((e) => [{ error: `could not read page state: ${e}` }]);
        console.error(`FAIL browser-client.test.mjs: ${err?.stack || err}`);
        const rejected = await getRejected(BASE).catch((e) => `<${e}>`);
        console.error(`----- GET /eventlens/v1/rejected -----\n${JSON.stringify(rejected, null, 2)}`);
        console.error('----- browser console / network log -----');
        console.error(log.join('\n') || '(empty)');
        console.error('----- requests the page sent to the sink -----');
        console.error(wire.map((r) => JSON.stringify(r)).join('\n') || '(none recorded)');
        if (got.length) console.error(`----- events of this test in the sink -----\n${got.map(brief).join('\n')}`);
        process.exitCode = 1;
    } finally {
        await browser?.close().catch(() => {});
        server?.close();
    }
}

await main();
process.exit(process.exitCode ?? 0);

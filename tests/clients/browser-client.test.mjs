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
import {
    DEBUG, POSTHOG_JS_VERSION, baseInitOptions, browserLog, launchChromium, pageHtml, printFailure, startPageServer,
    watchPage,
} from './browser-harness.mjs';
import { assertSinkHealthy, brief, collectEvents, encodingOf, getRejected, sinkUrl } from './sink-api.mjs';

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
    ...baseInitOptions(BASE),
    bootstrap: { distinctID: distinctId },
    // compression deliberately left at the default: the sink's remote config decides.
};

async function main() {
    const { lines: log, note } = browserLog(); // browser console, page errors, failed requests, sink responses
    let browser;
    let server;
    let wire = [];
    let got = [];
    let pageRef = null; // set while the page's own request log has not been read yet
    try {
        await assertSinkHealthy(BASE);
        const rejectedBefore = (await getRejected(BASE)).length;

        const cfg = { apiKey: API_KEY, apiHost: BASE, init: initOptions, superProps, events: sent, capturePaths: CAPTURE_PATHS };
        server = await startPageServer(new Map([['/', pageHtml(cfg, 'test')]]));
        const pageUrl = `http://localhost:${server.address().port}/`;
        assert.notEqual(new URL(pageUrl).origin, new URL(BASE).origin, 'page and sink must be on different origins');

        browser = await launchChromium();
        const context = await browser.newContext();
        const page = await context.newPage();
        pageRef = page;
        watchPage(page, note);
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
        await printFailure('browser-client.test.mjs', err, { base: BASE, log, wire, got, whose: 'this test' });
        process.exitCode = 1;
    } finally {
        await browser?.close().catch(() => {});
        server?.close();
    }
}

await main();
process.exit(process.exitCode ?? 0);

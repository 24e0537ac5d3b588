// SPDX-License-Identifier: MIT
// The page scaffolding of the posthog-js tests (browser-client.test.mjs, browser-faults.test.mjs): the pinned
// posthog-js served from another origin than the sink, a page that records what it sends to the sink and captures
// the test's events, Debian's Chromium driven by playwright-core, the browser log, and what to print on a failure.
// The sink itself is started by run-with-sink.sh (EVENTLENS_URL).
//
// Env: CHROMIUM_PATH (default /usr/bin/chromium), EVENTLENS_TEST_DEBUG=1 (posthog-js debug logging + always print
// the browser console).

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { brief, getRejected } from './sink-api.mjs';

const require = createRequire(import.meta.url);
const POSTHOG_JS_FILE = require.resolve('posthog-js/dist/array.full.js');
export const POSTHOG_JS_VERSION = JSON.parse(readFileSync(require.resolve('posthog-js/package.json'), 'utf8')).version;
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const DEBUG = process.env.EVENTLENS_TEST_DEBUG === '1';

/** posthog-js options shared by the tests: nothing captured but what the test captures, batches flushed quickly. */
export function baseInitOptions(apiHost) {
    return {
        api_host: apiHost,
        opt_out_useragent_filter: true, // headless Chromium's UA would otherwise be dropped as a bot
        persistence: 'memory',
        autocapture: false,
        capture_pageview: false,
        capture_pageleave: false,
        disable_session_recording: true,
        disable_surveys: true,
        // The only queue setting posthog-js offers (250..5000 ms): how long captures are batched before the first
        // POST. The retry backoff itself is not configurable.
        request_queue_config: { flush_interval_ms: 250 },
        debug: DEBUG,
    };
}

// Installed before array.full.js: records in window.__wire every request the page sends to the sink (cfg.apiHost):
// its status (0 = the fetch failed, e.g. a reset), the retry_count posthog-js puts on retries, the Retry-After it
// could read, how the body was encoded and the test_event_index/uuid of each event in it (decoded in the page).
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
        const u = new URL(url);
        const headers = new Headers((init && init.headers) || {});
        const rec = { method: ((init && init.method) || 'GET').toUpperCase(), url, path: u.pathname,
                      retryCount: u.searchParams.get('retry_count'), contentType: headers.get('content-type'), size: 0,
                      encoding: null, events: [], sentAt: Date.now(), answeredAt: null, status: null, retryAfter: null,
                      error: null };
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

// Initialises posthog-js (cfg.apiKey, cfg.init), registers cfg.superProps, captures cfg.events, then sets
// window.__done once the sink answered 200 to POSTs to cfg.capturePaths carrying every event, or window.__fatal when
// it answered a POST with 4xx (posthog-js drops such a batch: no point in waiting): a POST to cfg.capturePaths, or
// to any path with cfg.anyPostRefused.
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
        const refused = window.__wire.find((r) => r.method === 'POST' && (cfg.anyPostRefused || cfg.capturePaths.includes(r.path))
            && r.status >= 400 && r.status < 500);
        if (refused) {
            clearInterval(timer);
            window.__fatal = 'the sink answered a POST to ' + refused.path + ' with HTTP ' + refused.status + ' (posthog-js drops such batches)';
        } else if (want.every((i) => delivered.has(i))) {
            clearInterval(timer);
            console.log('[test] all events acknowledged by the sink');
            window.__done = true;
        }
    }, 100);
})();
`;

/**
 * The test page: window.__cfg = cfg ({ apiKey, apiHost, init, superProps, events, capturePaths, anyPostRefused }),
 * the request recorder, posthog-js, and the script that captures the events.
 */
export function pageHtml(cfg, title) {
    const json = JSON.stringify(cfg).replace(/</g, '\\u003c');
    return `<!doctype html>
<html><head><meta charset="utf-8"><title>EventLens posthog-js ${title}</title>
<script>window.__cfg = ${json};</script>
<script>${PAGE_SCRIPT}</script>
<script src="/posthog-js/array.full.js"></script>
</head><body><h1>EventLens posthog-js ${POSTHOG_JS_VERSION} ${title}</h1>
<script>${MAIN_SCRIPT}</script>
</body></html>`;
}

/** Serves the pages in `pages` (path -> HTML; a Map the caller may add to later) and posthog-js itself. */
export function startPageServer(pages) {
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

export function launchChromium() {
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        timeout: 60000,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
}

/** The browser console, page errors, failed requests and sink responses, with the time of each line. */
export function browserLog() {
    const lines = [];
    return { lines, note: (line) => lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`) };
}

/** Notes the page's console, errors and failed requests, each line starting with `tag` when given. */
export function watchPage(page, note, tag = '') {
    const t = tag ? `${tag} ` : '';
    page.on('console', (m) => note(`${t}console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => note(`${t}pageerror: ${e.stack || e}`));
    page.on('requestfailed', (r) => note(`${t}requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
}

/**
 * Prints why `test` failed, then `sections` ([title, value] pairs), the sink's rejected list, the browser log, the
 * requests the page sent (`wire`) and the events found in the sink (`got`); `whose` names the page and events.
 */
export async function printFailure(test, err, { base, sections = [], log, wire, got, whose }) {
    console.error(`FAIL ${test}: ${err?.stack || err}`);
    for (const [title, value] of sections) console.error(`----- ${title} -----\n${JSON.stringify(value, null, 2)}`);
    const rejected = await getRejected(base).catch((e) => `<${e}>`);
    console.error(`----- GET /eventlens/v1/rejected -----\n${JSON.stringify(rejected, null, 2)}`);
    console.error('----- browser console / network log -----');
    console.error(log.join('\n') || '(empty)');
    console.error(`----- requests the page of ${whose} sent to the sink -----`);
    console.error(wire.map((r) => JSON.stringify(r)).join('\n') || '(none recorded)');
    if (got.length) console.error(`----- events of ${whose} in the sink -----\n${got.map(brief).join('\n')}`);
}

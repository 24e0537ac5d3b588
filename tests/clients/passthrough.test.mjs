// SPDX-License-Identifier: MIT
// End-to-end pass-through: the real posthog-node SDK -> EventLens (EVENTLENS_URL, started with --upstream) ->
// tests/proxy/upstream.py (EVENTLENS_UPSTREAM_URL), which shares no code with EventLens and records what it gets.
// Run it through run-with-sink.sh with `--upstream @UPSTREAM@` (CTest does).
//
// 60 events in batches of 10 (gzip), a feature-flag call, shutdown(). Then:
// - the SDK got the upstream's own answer to every request (200 {"status":"Ok"}), never EventLens's;
// - the upstream received every event exactly once, in gzip bodies that decode to what was sent, with the SDK's
//   headers, X-Forwarded-For, and no Accept-Encoding;
// - the sink captured every event exactly once, each with the upstream's status 200 kept beside it.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { PostHog } from 'posthog-node';
import { collectEvents, getJson, getRejected, sinkUrl } from './sink-api.mjs';

const BASE = sinkUrl();
const UPSTREAM = (process.env.EVENTLENS_UPSTREAM_URL || '').replace(/\/+$/, '');
if (!UPSTREAM) {
    console.error('EVENTLENS_UPSTREAM_URL is not set (run-with-sink.sh ... --upstream @UPSTREAM@)');
    process.exit(2);
}
const EVENTS = 60;

const nonce = randomUUID();
const distinctId = `passthrough-${nonce.slice(0, 8)}`;
const sent = [];
for (let i = 0; i < EVENTS; ++i)
    sent.push({ uuid: randomUUID(), event: i % 2 ? 'settings_view' : 'project_create_result', n: i });

// What the SDK really got back, request by request (the requests themselves are unchanged).
const answers = [];
const recordingFetch = async (url, opts = {}) => {
    const res = await fetch(url, opts);
    answers.push({ url: String(url), status: res.status, body: await res.clone().text() });
    return res;
};

const client = new PostHog('phc_eventlens_passthrough', {
    host: BASE, flushAt: 10, maxBatchSize: 10, flushInterval: 0, fetch: recordingFetch, maxRetries: 0,
});
client.on('error', (err) => console.error('posthog-node error:', err));
for (const e of sent) {
    client.capture({ distinctId, event: e.event, uuid: e.uuid,
        properties: { test_nonce: nonce, n: e.n, runtime_type: 'none', page_name: 'settings' } });
}
const flags = await client.getAllFlags(distinctId);
await client.shutdown();

// 1. The SDK's answers came from the upstream.
const batches = answers.filter((a) => new URL(a.url).pathname.startsWith('/batch'));
assert.ok(batches.length >= EVENTS / 10, `expected >= ${EVENTS / 10} batch requests, got ${JSON.stringify(answers)}`);
for (const a of answers) {
    assert.equal(a.status, 200, `${a.url}: ${a.status} ${a.body}`);
    assert.equal(a.body, '{"status":"Ok"}', `${a.url}: the upstream's answer, not the sink's ({"status":1})`);
}
assert.ok(answers.some((a) => /\/(flags|decide)\//.test(new URL(a.url).pathname)), 'the flags call went through');
assert.deepEqual(flags, {}, 'an upstream without flags');

// 2. The upstream got every event once, byte for byte what the SDK sent.
const seen = await getJson(`${UPSTREAM}/__upstream/seen`);
const upstreamUuids = new Map();
for (const r of seen.filter((r) => r.path.startsWith('/batch'))) {
    const header = (name) => (r.headers.find(([n]) => n.toLowerCase() === name) || [])[1];
    let body = Buffer.from(r.body_b64, 'base64');
    if (header('content-encoding') === 'gzip') body = gunzipSync(body);
    const json = JSON.parse(body.toString('utf8'));
    assert.equal(header('x-forwarded-for'), '127.0.0.1');
    assert.equal(header('accept-encoding'), undefined, 'Accept-Encoding is not forwarded');
    assert.match(header('user-agent') || '', /posthog-node/);
    for (const ev of json.batch) {
        if (ev.properties?.test_nonce !== nonce) continue;
        upstreamUuids.set(ev.uuid, (upstreamUuids.get(ev.uuid) || 0) + 1);
    }
}
for (const e of sent)
    assert.equal(upstreamUuids.get(e.uuid), 1, `event ${e.n} (${e.uuid}) reached the upstream ${upstreamUuids.get(e.uuid) || 0} times`);
assert.equal(upstreamUuids.size, EVENTS);

// 3. The sink captured every event once, with the upstream's answer beside it.
const events = (await collectEvents(BASE, {
    distinctId, done: (all) => all.filter((e) => e.distinct_id === distinctId).length >= EVENTS,
})).filter((e) => e.distinct_id === distinctId);
assert.equal(events.length, EVENTS, `sink captured ${events.length} of ${EVENTS}`);
assert.deepEqual(new Set(events.map((e) => e.uuid)), new Set(sent.map((e) => e.uuid)));
for (const e of events)
    assert.equal(e.upstream?.status, 200, `event ${e.uuid}: upstream ${JSON.stringify(e.upstream)}`);
const rejected = await getRejected(BASE);
assert.equal(rejected.length, 0, `rejected: ${JSON.stringify(rejected).slice(0, 500)}`);

console.log(`passthrough: ${EVENTS} events in ${batches.length} batches and ${answers.length - batches.length} other `
    + `requests through the sink to upstream.py: each once at both ends, every answer the upstream's`);

// SPDX-License-Identifier: MIT
// End-to-end: the real posthog-node SDK -> EventLens sink (EVENTLENS_URL), checked via the inspection API.
// Starts nothing itself; run it through run-with-sink.sh (CTest does).
//
// Case "gzip":  default options (gzip body + Content-Encoding: gzip), flushAt 20, 5 events, shutdown().
// Case "plain": same with disableCompression: true (plain JSON body).
// Each case must arrive as ONE POST /batch/ with every event exactly once, with lib/distinct_id/uuid
// as sent, runtime_type/run_id extracted where present (absent where not), the register()ed
// super-properties merged into properties, and nothing in GET /eventlens/v1/rejected.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PostHog } from 'posthog-node';
import { brief, collectEvents, encodingOf, getJson, getRejected, sinkUrl } from './sink-api.mjs';

// posthog-node's "exports" hides package.json, so read it from node_modules directly.
const NODE_SDK_VERSION = JSON.parse(readFileSync(new URL('./node_modules/posthog-node/package.json', import.meta.url), 'utf8')).version;
const BASE = sinkUrl();
const API_KEY = 'phc_eventlens_node_test';

async function runCase(name, extraOptions) {
    const nonce = randomUUID();
    const distinctId = `node-test-${name}-${nonce.slice(0, 8)}`;
    const runId = `run_${nonce.slice(0, 12)}`;
    const superProps = { test_nonce: nonce, event_schema_version: 2, env: 'eventlens_ci', client_type: 'daemon' };
    const runProps = {
        page_name: 'chat_panel', project_id: 'proj_1', conversation_id: null, run_id: runId,
        project_kind: 'prototype', design_system_source: 'default', has_attachment: false,
        user_query_tokens: 12, model_id: 'claude-sonnet', agent_provider_id: 'anthropic',
        runtime_type: 'amr_cloud', skill_id: null, mcp_id: null, token_count_source: 'provider_usage',
    };
    const sent = [
        { event: 'project_create_result', properties: { result: 'success', project_id: 'proj_1' } },
        { event: 'run_created', properties: { ...runProps, area: 'chat_composer', turn_index: 0, is_first_run: true } },
        { event: 'settings_view', properties: { page_name: 'settings', area: 'privacy' } },
        { event: 'run_finished', properties: { ...runProps, area: 'chat_panel', result: 'success' } },
        { event: 'file_upload_result', properties: { result: 'success', file_count: 2, nested: { a: [1, 2, { b: 'ü✓' }] } } },
    ].map((e) => ({ ...e, uuid: randomUUID() }));

    // Transparent fetch wrapper: records what the SDK really put on the wire, so the case
    // provably exercises the encoding it claims to (the request itself is unchanged).
    const wire = [];
    const recordingFetch = async (url, opts = {}) => {
        const headers = new Headers(opts.headers);
        const body = opts.body;
        const bytes = typeof body === 'string' ? Buffer.from(body) : body ? Buffer.from(await new Response(body).arrayBuffer()) : Buffer.alloc(0);
        const rec = { method: opts.method || 'GET', url: String(url), contentEncoding: headers.get('content-encoding'),
                      contentType: headers.get('content-type'), size: bytes.length, gzipMagic: bytes[0] === 0x1f && bytes[1] === 0x8b, status: null };
        wire.push(rec);
        try {
            const res = await fetch(url, { ...opts, body: bytes.length ? bytes : body });
            rec.status = res.status;
            if (res.status >= 300) rec.response = await res.clone().text().catch(() => '');
            return res;
        } catch (err) {
            rec.status = 0;
            rec.error = String(err);
            throw err;
        }
    };
    const sdkErrors = [];
    const client = new PostHog(API_KEY, {
        fetch: recordingFetch,
        host: BASE,
        flushAt: 20, // > number of events: everything goes out in the single flush of shutdown()
        flushInterval: 60000,
        fetchRetryCount: 0, // a failure must show up as a failure, not as a retried/duplicated batch
        ...extraOptions,
    });
    client.on('error', (err) => sdkErrors.push(err));
    await client.register(superProps);
    for (const e of sent) client.capture({ distinctId, event: e.event, properties: e.properties, uuid: e.uuid });
    await client.shutdown(20000);
    if (sdkErrors.length) {
        const rejected = await getRejected(BASE).catch((err) => `<${err}>`);
        assert.fail(`[${name}] posthog-node reported errors while flushing: ${sdkErrors.map(String).join('; ')}\n` +
            `  requests the SDK sent: ${JSON.stringify(wire)}\n  GET /eventlens/v1/rejected: ${JSON.stringify(rejected, null, 2)}`);
    }
    const posts = wire.filter((w) => w.method === 'POST' && new URL(w.url).pathname === '/batch/');
    assert.equal(posts.length, 1, `[${name}] posthog-node should have sent exactly one POST /batch/, sent: ${JSON.stringify(wire)}`);
    const gzipped = !extraOptions.disableCompression;
    assert.equal(posts[0].gzipMagic, gzipped, `[${name}] body gzip magic on the wire: ${JSON.stringify(posts[0])}`);
    assert.equal(posts[0].contentEncoding, gzipped ? 'gzip' : null, `[${name}] Content-Encoding on the wire: ${JSON.stringify(posts[0])}`);

    const wanted = new Set(sent.map((e) => e.uuid));
    const mine = (all) => all.filter((ev) => ev.properties?.test_nonce === nonce);
    const all = await collectEvents(BASE, {
        waitMs: 5000, totalMs: 20000,
        done: (seen) => mine(seen).filter((ev) => wanted.has(ev.uuid)).length >= sent.length,
    });
    const got = mine(all);
    const ctx = () => `\n  events of this case in the sink:\n    ${got.map(brief).join('\n    ') || '(none)'}`;

    for (const e of sent) {
        const matches = got.filter((ev) => ev.uuid === e.uuid);
        assert.equal(matches.length, 1, `[${name}] event ${e.event} (uuid ${e.uuid}) should arrive exactly once, arrived ${matches.length} times${ctx()}`);
        const ev = matches[0];
        const where = `[${name}] ${e.event} (seq ${ev.seq})`;
        assert.equal(ev.event, e.event, `${where}: event name`);
        assert.equal(ev.endpoint, '/batch/', `${where}: endpoint`);
        assert.equal(ev.lib, 'posthog-node', `${where}: lib`);
        assert.equal(ev.lib_version, NODE_SDK_VERSION, `${where}: lib_version`);
        assert.equal(ev.api_key, API_KEY, `${where}: api_key`);
        assert.equal(ev.distinct_id, distinctId, `${where}: distinct_id`);
        assert.match(String(ev.user_agent), /^posthog-node\//, `${where}: user_agent`);
        assert.equal(typeof ev.timestamp, 'string', `${where}: timestamp should be an ISO string`);
        assert.ok(!Number.isNaN(Date.parse(ev.timestamp)), `${where}: timestamp ${ev.timestamp} should parse`);
        assert.equal(ev.recording, false, `${where}: recording`);
        assert.ok(Array.isArray(ev.violations), `${where}: violations should be an array`);
        for (const [k, v] of Object.entries(superProps)) {
            assert.deepEqual(ev.properties[k], v, `${where}: super-property ${k} should be merged into properties`);
        }
        for (const [k, v] of Object.entries(e.properties)) {
            assert.deepEqual(ev.properties[k], v, `${where}: property ${k} as sent`);
        }
        assert.equal(ev.properties.$lib, 'posthog-node', `${where}: properties.$lib`);
        if ('run_id' in e.properties) {
            assert.equal(ev.runtime_type, 'amr_cloud', `${where}: extracted runtime_type`);
            assert.equal(ev.run_id, runId, `${where}: extracted run_id`);
        } else {
            assert.ok(ev.runtime_type === undefined || ev.runtime_type === null, `${where}: runtime_type must stay absent, got ${JSON.stringify(ev.runtime_type)}`);
            assert.ok(ev.run_id === undefined || ev.run_id === null, `${where}: run_id must stay absent, got ${JSON.stringify(ev.run_id)}`);
        }
    }
    const requestIds = new Set(got.map((ev) => ev.request_id));
    assert.equal(requestIds.size, 1, `[${name}] all ${sent.length} events should arrive in ONE /batch/ request, got request_ids ${[...requestIds].join(', ')}${ctx()}`);
    const seqs = got.map((ev) => ev.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `[${name}] seqs should be increasing`);
    assert.deepEqual(got.map((ev) => ev.uuid), sent.map((e) => e.uuid), `[${name}] events should be stored in the order sent`);
    console.log(`ok - posthog-node ${NODE_SDK_VERSION} [${name}]: ${got.length} events in request ${[...requestIds][0]} on /batch/ (sent ${gzipped ? 'gzip, Content-Encoding: gzip' : 'plain JSON'}; sink says ${encodingOf(got[0])})`);
}

async function main() {
    const health = await getJson(`${BASE}/eventlens/v1/health`);
    assert.equal(health.status, 'ok', `health: ${JSON.stringify(health)}`);
    const rejectedBefore = (await getRejected(BASE)).length;

    await runCase('gzip', {});
    await runCase('plain', { disableCompression: true });

    const rejected = await getRejected(BASE);
    assert.equal(rejected.length, rejectedBefore, `the sink rejected requests:\n${JSON.stringify(rejected.slice(rejectedBefore), null, 2)}`);
    const after = await getJson(`${BASE}/eventlens/v1/health`);
    console.log(`ok - no rejected requests; health ${JSON.stringify(after)}`);
}

main().then(() => process.exit(0), (err) => {
    console.error(`FAIL node-client.test.mjs: ${err?.stack || err}`);
    process.exit(1);
});

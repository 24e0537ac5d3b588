// SPDX-License-Identifier: MIT
// Small helpers shared by the real-client tests: talk to the EventLens inspection API.

import assert from 'node:assert/strict';

export function sinkUrl() {
    const url = process.env.EVENTLENS_URL;
    if (!url) {
        console.error('EVENTLENS_URL is not set (run the test through run-with-sink.sh)');
        process.exit(2);
    }
    return url.replace(/\/+$/, '');
}

export async function getJson(url, timeoutMs = 30000) {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${url} -> HTTP ${res.status}: ${text.slice(0, 500)}`);
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new Error(`GET ${url} -> HTTP ${res.status}, body is not JSON (${err.message}): ${text.slice(0, 500)}`);
    }
}

/**
 * Long-polls GET /eventlens/v1/events (since/event/distinct_id/limit/wait_ms) until `done(allSeen)` is true
 * or `totalMs` has elapsed. Returns every event seen (all events, not only the matching ones).
 */
export async function collectEvents(base, { event, distinctId, waitMs = 5000, totalMs = 30000, limit = 1000, done }) {
    const seen = [];
    let since = 0;
    const deadline = Date.now() + totalMs;
    for (;;) {
        const q = new URLSearchParams({ since: String(since), limit: String(limit), wait_ms: String(waitMs) });
        if (event) q.set('event', event);
        if (distinctId) q.set('distinct_id', distinctId);
        const body = await getJson(`${base}/eventlens/v1/events?${q}`, waitMs + 15000);
        if (!body || !Array.isArray(body.events)) {
            throw new Error(`GET /eventlens/v1/events: expected {"events":[...],"next":N}, got ${JSON.stringify(body).slice(0, 500)}`);
        }
        seen.push(...body.events);
        if (typeof body.next === 'number' && body.next > since) since = body.next;
        else if (body.events.length) since = Math.max(since, ...body.events.map((e) => e.seq ?? 0));
        if (done(seen) || Date.now() >= deadline) return seen;
    }
}

/** `method` `path` with an optional JSON body; returns the status and the parsed answer (null when empty). */
export async function sinkApi(base, method, path, body) {
    const res = await fetch(`${base}${path}`, {
        method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        signal: AbortSignal.timeout(30000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
}

export async function assertSinkHealthy(base) {
    const health = await getJson(`${base}/eventlens/v1/health`);
    assert.equal(health.status, 'ok', `health: ${JSON.stringify(health)}`);
}

/** Clears the sink's faults and adds `fault` (POST /eventlens/v1/faults); `tag` starts the assertion messages. */
export async function installFault(base, tag, fault) {
    const cleared = await sinkApi(base, 'DELETE', '/eventlens/v1/faults');
    assert.equal(cleared.status, 200, `${tag} DELETE /eventlens/v1/faults: ${JSON.stringify(cleared)}`);
    const added = await sinkApi(base, 'POST', '/eventlens/v1/faults', fault);
    assert.equal(added.status, 201, `${tag} POST /eventlens/v1/faults: ${JSON.stringify(added)}`);
}

/** The one fault installed hit exactly `hits` requests and is used up (GET /eventlens/v1/faults). */
export async function assertFaultUsedUp(base, tag, hits) {
    const faults = (await sinkApi(base, 'GET', '/eventlens/v1/faults')).json.faults;
    assert.equal(faults.length, 1, `${tag} GET /eventlens/v1/faults: ${JSON.stringify(faults)}`);
    assert.equal(faults[0].hits, hits, `${tag} the fault should have hit ${hits} requests: ${JSON.stringify(faults[0])}`);
    assert.equal(faults[0].active, false, `${tag} the fault should be used up: ${JSON.stringify(faults[0])}`);
}

export async function getRejected(base) {
    const body = await getJson(`${base}/eventlens/v1/rejected`);
    if (!body || !Array.isArray(body.rejected)) {
        throw new Error(`GET /eventlens/v1/rejected: expected {"rejected":[...]}, got ${JSON.stringify(body).slice(0, 500)}`);
    }
    return body.rejected;
}

/** Fields a sink may use to say how the body was encoded; reported, not asserted. */
export function encodingOf(ev) {
    for (const k of ['encoding', 'content_encoding', 'compression', 'body_encoding', 'wire_encoding']) {
        if (ev[k] !== undefined && ev[k] !== null) return `${k}=${JSON.stringify(ev[k])}`;
    }
    return '(not exposed by the events API)';
}

export function brief(ev) {
    const { properties, ...rest } = ev;
    return JSON.stringify({ ...rest, properties: properties ? `{${Object.keys(properties).length} keys}` : properties });
}

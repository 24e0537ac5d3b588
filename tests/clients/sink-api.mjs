// SPDX-License-Identifier: MIT
// Small helpers shared by the real-client tests: talk to the EventLens inspection API.

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
 * Long-polls GET /eventlens/v1/events (since/event/limit/wait_ms) until `done(allSeen)` is true
 * or `totalMs` has elapsed. Returns every event seen (all events, not only the matching ones).
 */
export async function collectEvents(base, { event, waitMs = 5000, totalMs = 30000, limit = 1000, done }) {
    const seen = [];
    let since = 0;
    const deadline = Date.now() + totalMs;
    for (;;) {
        const q = new URLSearchParams({ since: String(since), limit: String(limit), wait_ms: String(waitMs) });
        if (event) q.set('event', event);
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

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerates the seed corpus in tests/fuzz/corpus/<target>/ from the test data (small files only).

decode: real SDK requests from tests/data/wire (posthog-js / posthog-node), as plain JSON, gzip,
        base64 and form bodies, in the fuzz_input.h format "METHOD TARGET\\nHeaders\\n\\nBODY".
http:   raw HTTP/1.1 requests (pipelined, chunked, 100-continue) built from the same bodies.
event:  single event objects from the wire captures.
contract: tests/data/contract/*/contract.json + resources/contracts/*.json.
scenario: resources/scenarios/*.json + an NDJSON event log.
schemadiff: seeded pseudo-random bytes: each byte is one choice of the generator in
        tests/common/schemagen.h (a schema and up to four instances), so any bytes are a case.
"""
import base64, random, gzip, json, os, pathlib, shutil, urllib.parse

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "tests/fuzz/corpus"
MAX = 16 * 1024


def put(target, name, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    if len(data) <= MAX:
        (d / name).write_bytes(data)


shutil.rmtree(out, ignore_errors=True)
bodies = []
for f in sorted((root / "tests/data/wire").glob("*.json")):
    wire = json.loads(f.read_text())
    for i, req in enumerate(wire.get("log", [])):
        body = req.get("body") or {}
        if not isinstance(body, dict) or "json" not in body:
            continue
        path = req.get("url", "/e/")
        bodies.append((f.stem[:12] + f"-{i}", req.get("method", "POST"), path, json.dumps(body["json"])))

for name, method, path, text in bodies[:12]:
    raw = text.encode()
    put("decode", f"{name}-json", f"{method} {path}\nContent-Type: application/json\n\n".encode() + raw)
    put("decode", f"{name}-gzip", f"POST {path}?compression=gzip-js\nContent-Type: text/plain\n\n".encode() + gzip.compress(raw))
    put("decode", f"{name}-b64", f"POST {path}\n\n".encode() + base64.b64encode(raw))
    form = "data=" + urllib.parse.quote(base64.b64encode(raw).decode()) + "&compression=base64"
    put("decode", f"{name}-form", f"POST {path}\nContent-Type: application/x-www-form-urlencoded\n\n{form}")
    put("decode", f"{name}-query", f"GET {path}?data=" + urllib.parse.quote(base64.b64encode(raw[:2000]).decode()) + "\n\n")
    http = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n".encode() + raw
    put("http", f"{name}", b"\x00" + http)
    put("http", f"{name}-pipelined", b"\x07" + http + http)
    try:
        doc = json.loads(text)
        evs = doc.get("batch") if isinstance(doc, dict) else doc
        if isinstance(evs, list) and evs and isinstance(evs[0], dict):
            put("event", f"{name}", json.dumps(evs[0]))
        elif isinstance(doc, dict):
            put("event", f"{name}", json.dumps(doc))
    except Exception:
        pass

put("decode", "engage", 'POST /engage/\n\n{"$set":{"a":1},"$token":"t","$distinct_id":"d"}')
put("decode", "v1", 'POST /i/v1/analytics/events\n\n{"api_key":"k","batch":[{"event":"e","distinct_id":"d","properties":{}}]}')
put("decode", "ai", 'POST /i/v0/ai/batch/\n\n{"api_key":"k","batch":[{"event":"$ai_generation","distinct_id":"d","properties":{}}]}')
put("decode", "recording", 'POST /s/\n\n[{"event":"$snapshot","properties":{"distinct_id":"d","$snapshot_data":[]}}]')
put("decode", "offset", 'POST /batch/\n\n{"api_key":"k","sent_at":"2026-01-01T00:00:00Z","batch":[{"event":"e","distinct_id":"d","offset":1000}]}')
chunked = (b"POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
           b"10\r\n{\"event\":\"p3\",\"d\r\n15;ext=1\r\nistinct_id\":\"d\"}     \r\n0\r\nX-Trailer: 1\r\n\r\n")
put("http", "chunked", b"\x03" + chunked)
put("http", "get-keepalive", b"\x10GET /eventlens/v1/events?since=0&limit=5 HTTP/1.1\r\nHost: localhost\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n")
put("http", "limits", b"\x01POST /e/ HTTP/1.1\r\nContent-Length: 2000\r\n\r\n")

for f in sorted((root / "tests/data/contract").glob("*/contract.json")):
    put("contract", f.parent.name, f.read_bytes())
for f in sorted((root / "resources/contracts").glob("*.json")):
    put("contract", "builtin-" + f.stem, f.read_bytes())
for f in sorted((root / "resources/scenarios").glob("*.json")):
    put("scenario", f.stem, f.read_bytes())
for f in sorted((root / "tests/data/contract").glob("*/events.ndjson"))[:3]:
    put("scenario", "events-" + f.parent.name, f.read_bytes())
    put("event", "events-" + f.parent.name, f.read_bytes().split(b"\n")[0])

rng = random.Random(20261202)
for i in range(64):
    put("schemadiff", f"seed-{i:02d}", bytes(rng.randrange(256) for _ in range(32 + 16 * i)))

# scan: the string values of the scan golden events and of the open-design sample (keys, addresses, card and phone
# numbers, and the ids, timestamps and URLs they must not be confused with), and real-shaped keys drawn from a seed.
def strings(value, found):
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            strings(v, found)
    elif isinstance(value, list):
        for v in value:
            strings(v, found)


for f in [root / "tests/data/contract/scan/events.ndjson", root / "tests/data/open-design/valid.ndjson"]:
    found = []
    for line in f.read_text().splitlines():
        if line.strip():
            strings(json.loads(line), found)
    put("scan", "values-" + f.parent.name, " | ".join(found))
key_rng = random.Random(18)
alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def draw(n, alphabet=alnum):
    return "".join(key_rng.choice(alphabet) for _ in range(n))


put("scan", "keys", " ".join([
    "sk-ant-api03-" + draw(93, alnum + "-_") + "AA", "sk-proj-" + draw(120, alnum + "-_"), "AIza" + draw(35),
    "AKIAIOSFODNN7EXAMPLE", "ghp_" + draw(36), "github_pat_" + draw(22) + "_" + draw(59), "phx_" + draw(43),
    "xoxb-" + draw(12, "0123456789") + "-" + draw(24), "Bearer abcDEF123456ghiJKL789",
    "-----BEGIN RSA PRIVATE KEY-----\n" + draw(64) + "\n-----END RSA PRIVATE KEY-----"]))
put("scan", "pii", "jane.doe@example.com icon@2x.png 4111 1111 1111 1111 4242424242424241 +44 20 7946 0958 "
    "(415) 555-2671 030 12345678")

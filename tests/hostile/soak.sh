#!/usr/bin/env bash
# Soak: a steady stream of good events (plus one hostile request a second) against the real binary
# for DURATION seconds; samples the sink's RSS and checks nothing was lost.
#   tests/hostile/soak.sh [BINARY] [DURATION_S=600] [EVENTS_PER_S=200] [BATCH=10]
# Prints a CSV of (elapsed_s, rss_kib, events_sent, events_kept) and a summary line.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$here/build/default/app/eventlens}
duration=${2:-600}
rate=${3:-200}
batch=${4:-10}
log=$(mktemp)
# shellcheck disable=SC2086 # EVENTLENS_SOAK_ARGS is a list of extra options
"$bin" --headless --no-session --quiet --port 0 ${EVENTLENS_SOAK_ARGS:-} 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
[[ -n "$port" ]] || { cat "$log"; exit 1; }
python3 - "$port" "$pid" "$duration" "$rate" "$batch" <<'PY'
import http.client, json, sys, time
port, pid, duration, rate, batch = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def rss():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
def health():
    api.request("GET", "/eventlens/v1/health")
    return json.loads(api.getresponse().read())
sent = bad = failed = 0
start = time.monotonic()
next_sample = 0.0
interval = batch / rate
seq = 0
print("elapsed_s,rss_kib,events_sent,events_kept,rejected")
samples = []
while True:
    now = time.monotonic() - start
    if now >= duration:
        break
    if now >= next_sample:
        h = health()
        samples.append((round(now), rss(), sent, h["events"] + h.get("trimmed", 0), h["rejected"]))
        print(",".join(map(str, samples[-1])), flush=True)
        next_sample += 30
    events = [{"event": "soak", "distinct_id": f"u{seq % 50}", "properties": {"i": seq + k, "run_id": "soak", "pad": "x" * 200}} for k in range(batch)]
    seq += batch
    body = json.dumps({"api_key": "phc_soak", "batch": events})
    conn.request("POST", "/batch/", body, {"Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    if r.status == 200:
        sent += batch
    else:
        failed += 1
    if seq % rate == 0:  # one hostile request a second, on its own connection
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/e/", b"\x1f\x8b\x08\x00garbage", {"Content-Type": "text/plain"})
        c.getresponse().read(); c.close(); bad += 1
    delay = (seq / rate) - (time.monotonic() - start)
    if delay > 0:
        time.sleep(delay)
h = health()
kept = h["events"] + h.get("trimmed", 0)  # events that left the in-memory window are still counted
samples.append((round(time.monotonic() - start), rss(), sent, kept, h["rejected"]))
print(",".join(map(str, samples[-1])))
first, mid, last = samples[1] if len(samples) > 1 else samples[0], samples[len(samples) // 2], samples[-1]
per_event = (last[1] - first[1]) / max(1, last[2] - first[2])
print(f"SUMMARY duration={last[0]}s sent={sent} kept={kept} in_memory={h['events']} lost={sent - kept} failed_requests={failed} "
      f"hostile={bad} rejected={h['rejected']} rss_start={first[1]}KiB rss_end={last[1]}KiB "
      f"growth_per_event={per_event * 1024:.0f}B")
sys.exit(0 if sent == kept and bad == h["rejected"] else 1)
PY

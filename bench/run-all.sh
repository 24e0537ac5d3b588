#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every EventLens benchmark (issue 8) and prints one results table.
#
#   bench/run-all.sh            # everything (about 15 minutes on a busy 2-core machine, plus the build; ~11 GB RAM)
#   QUICK=1 bench/run-all.sh    # shorter runs, 200k GUI events
#   CHECK=1 bench/run-all.sh    # also bench/check/run.sh at the end (eventlens check vs an ajv 8 script; QUICK=1: 60k events, 1 run)
#   ROUNDS=5 bench/run-all.sh   # the two ratio targets (single-event vs nginx, pass-through vs mitmproxy) in 5 rounds, default 3
#
# Builds eventlens and the benchmark tools (loadgen, uibench, searchbench, membench, judgebench) in build/default, then:
#   1. headless EventLens (builtin:open-design contract, session journal on): max throughput, mixed
#      posthog-node /batch/ gzip (20-50 events) + posthog-js /e/ gzip single events, 8 keep-alive connections
#   2. the same at a fixed 10,000 events/s (ack latency)
#   3. nginx `return 200` (HTTP ceiling), same load; then posthog-js single-event requests only, 16 connections, to
#      EventLens (a fresh sink each time) and to nginx, alternately, ROUNDS times
#   4. mitmproxy reverse proxy in front of nginx, same load as 1, and
#   5. EventLens pass-through (--upstream nginx, contract + journal on), same load: alternately, ROUNDS times
#   A ratio target is the median of its rounds' ratios (each round's two runs back to back): this VM's speed drifts
#   by tens of percent within minutes, and a single pair of runs gave either verdict for the same code.
#   6. GUI pipeline offscreen: 1M events as fast as possible + filters over 1M rows (view attached); 200k at
#      20,000 events/s with contract+journal (decode on workers, as the app), the same with one request in flight at a
#      time (--sync), and without contract and journal
#   7. the text search kernel alone (eventlens-searchbench): 1M event texts, 1 and 2 threads
#   8. the memory of events alone (eventlens-membench): 1M events in an EventStore, no GUI; then what judging a
#      kept event again costs (eventlens-judgebench): parse, judgeEvent, coverage, each alone on one thread
#   9. with CHECK=1: `eventlens check` on 300k open-design events next to an ajv 8 script (bench/check/run.sh)
# It ends with the targets of issue 15, each next to its peer from the same run, met or not.
# nginx and mitmproxy come from Debian (apt-get install -y nginx-light mitmproxy); installed if missing
# (needs root), else those rows are skipped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build/default}" # another build tree: BUILD=/path bench/run-all.sh
QUICK="${QUICK:-0}"
CHECK="${CHECK:-0}"
DURATION="${DURATION:-$([ "$QUICK" = 1 ] && echo 5 || echo 15)}"
UI_EVENTS="${UI_EVENTS:-$([ "$QUICK" = 1 ] && echo 200000 || echo 1000000)}"
CONNS="${CONNS:-8}"
ROUNDS="${ROUNDS:-3}"
# Unique events generated up front (ids repeat after the pool wraps, and the sink then judges duplicates: keep it
# above events/s x (DURATION+1); the load generator warns when it wrapped). Sized for 60,000 events/s.
POOL="${POOL:-$([ "$QUICK" = 1 ] && echo 400000 || echo 1000000)}"
BASE_PORT="${BASE_PORT:-18480}"
EL_PORT=$BASE_PORT NGINX_PORT=$((BASE_PORT + 1)) MITM_PORT=$((BASE_PORT + 2)) PROXY_PORT=$((BASE_PORT + 3))

TMP="$(mktemp -d /tmp/eventlens-bench.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

log() { printf '\n== %s\n' "$*" >&2; }

# --- build --------------------------------------------------------------------------------------------------------
log "building ($BUILD)"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    if [ "$BUILD" = "$ROOT/build/default" ]; then (cd "$ROOT" && cmake --preset default >&2); else cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2; fi
fi
cmake --build "$BUILD" --target eventlens eventlens-loadgen eventlens-uibench eventlens-searchbench eventlens-membench \
    eventlens-judgebench >&2
EVENTLENS="$BUILD/app/eventlens"
LOADGEN="$BUILD/bench/ingest/eventlens-loadgen"
UIBENCH="$BUILD/bench/ui/eventlens-uibench"
SEARCHBENCH="$BUILD/bench/search/eventlens-searchbench"
MEMBENCH="$BUILD/bench/memory/eventlens-membench"
JUDGEBENCH="$BUILD/bench/judge/eventlens-judgebench"

if ! command -v nginx >/dev/null || ! command -v mitmdump >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        log "installing nginx-light and mitmproxy (Debian packages)"
        apt-get install -y nginx-light mitmproxy >&2 || true
    fi
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

wait_port() { # port
    for _ in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listening on $1" >&2
    return 1
}

RESULTS="$TMP/results.txt"
: >"$RESULTS"
run_load() { # label port pid [loadgen args...]
    local label=$1 port=$2 pid=$3
    shift 3
    log "$label"
    "$LOADGEN" --port "$port" --pid "$pid" --label "$label" --connections "$CONNS" --duration "$DURATION" "$@" \
        | tee -a "$RESULTS"
}

start_eventlens() { # port [extra args...]
    local port=$1
    shift
    "$EVENTLENS" --headless --quiet --port "$port" --contract builtin:open-design "$@" >"$TMP/eventlens-$port.log" 2>&1 &
    PIDS+=($!)
    EL_PID=$!
    wait_port "$port"
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# --- machine ------------------------------------------------------------------------------------------------------
MACHINE="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME")"
log "machine: $MACHINE"

# --- 1+2: EventLens headless --------------------------------------------------------------------------------------
start_eventlens $EL_PORT --session "$TMP/max.elsession"
run_load eventlens-max $EL_PORT $EL_PID --pool-events "$POOL"
curl -s "http://127.0.0.1:$EL_PORT/eventlens/v1/health" >"$TMP/health.json" || true
# The traffic is valid (README, What each benchmark does): violations here mean the pool wrapped, or a bug.
log "sink after the full-load run: $(grep -o '"events":[0-9]*' "$TMP/health.json"), $(grep -o '"violations":[0-9]*' "$TMP/health.json")"
stop_pid $EL_PID
rm -f "$TMP"/max.elsession*

start_eventlens $EL_PORT --session "$TMP/rate.elsession"
run_load eventlens-rate10k $EL_PORT $EL_PID --rate 10000 --connections 32 --pool-events $((10000 * (DURATION + 2)))
stop_pid $EL_PID
rm -f "$TMP"/rate.elsession*

# Single-event requests (posthog-js: POST /e/, gzip, one event each), as fast as 16 connections get answers; a fresh
# sink each round (label eventlens-js-rN), next to nginx-js-rN below.
eventlens_js() { # label
    start_eventlens $EL_PORT --session "$TMP/js.elsession"
    run_load "$1" $EL_PORT $EL_PID --mix js --connections 16 --pool-events "$POOL"
    stop_pid $EL_PID
    rm -f "$TMP"/js.elsession*
}

# --- 3..5: nginx, mitmproxy, EventLens pass-through --------------------------------------------------------------
HAVE_NGINX=0
if [ -x "$NGINX" ]; then
    mkdir -p "$TMP/nginx/logs"
    cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    client_max_body_size 20m;
    client_body_buffer_size 1m;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { default_type application/json; return 200 '{"status":1}'; }
    }
}
EOF
    "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" &
    NGINX_PID=$!
    PIDS+=($NGINX_PID)
    wait_port $NGINX_PORT && HAVE_NGINX=1
fi
if [ $HAVE_NGINX = 1 ]; then
    run_load nginx $NGINX_PORT $NGINX_PID --pool-events 50000
    for r in $(seq 1 "$ROUNDS"); do
        eventlens_js "eventlens-js-r$r"
        run_load "nginx-js-r$r" $NGINX_PORT $NGINX_PID --mix js --connections 16 --pool-events 50000
    done
    for r in $(seq 1 "$ROUNDS"); do
        if command -v mitmdump >/dev/null; then
            mitmdump --mode "reverse:http://127.0.0.1:$NGINX_PORT" --listen-host 127.0.0.1 --listen-port $MITM_PORT \
                -q --set connection_strategy=lazy >"$TMP/mitm.log" 2>&1 &
            MITM_PID=$!
            PIDS+=($MITM_PID)
            wait_port $MITM_PORT
            run_load "mitmproxy-r$r" $MITM_PORT $MITM_PID --pool-events 50000
            stop_pid $MITM_PID
        fi
        start_eventlens $PROXY_PORT --session "$TMP/proxy.elsession" --upstream "http://127.0.0.1:$NGINX_PORT"
        run_load "eventlens-passthrough-r$r" $PROXY_PORT $EL_PID --pool-events "$POOL"
        stop_pid $EL_PID
        rm -f "$TMP"/proxy.elsession*
    done
    stop_pid $NGINX_PID
else
    eventlens_js eventlens-js-r1
fi

# --- 6: GUI pipeline ----------------------------------------------------------------------------------------------
log "GUI pipeline: $UI_EVENTS events as fast as possible, then filters"
"$UIBENCH" --events "$UI_EVENTS" | tee -a "$RESULTS"
UI_RATE_EVENTS=$((UI_EVENTS / 5))
log "GUI pipeline: $UI_RATE_EVENTS events at 20,000 events/s"
"$UIBENCH" --events "$UI_RATE_EVENTS" --rate 20000 --no-filters | tee -a "$RESULTS"
log "GUI pipeline without contract and journal (model/proxy/view + decode only): $UI_RATE_EVENTS events at 20,000 events/s"
"$UIBENCH" --events "$UI_RATE_EVENTS" --rate 20000 --no-filters --no-contract --no-journal | tee -a "$RESULTS"
log "GUI pipeline with one request in flight at a time (--sync): $UI_RATE_EVENTS events at 20,000 events/s"
"$UIBENCH" --events "$UI_RATE_EVENTS" --rate 20000 --no-filters --sync | tee -a "$RESULTS"

# --- 7: text search kernel ----------------------------------------------------------------------------------------
log "text search over $UI_EVENTS event texts"
"$SEARCHBENCH" --rows "$UI_EVENTS" | tee -a "$RESULTS"

# --- 8: events alone ----------------------------------------------------------------------------------------------
log "memory of $UI_EVENTS events alone"
"$MEMBENCH" --events "$UI_EVENTS" | tee -a "$RESULTS"

# --- 8b: judging an event again, phase by phase ------------------------------------------------------------------
# What a Reload Contract, an open or an import costs per event, on one thread. bench/check's generated events (10 %
# schema-invalid) when its npm packages are there (bench/check/run.sh installs them), else the 21-event sample.
JUDGE_INPUT=()
if [ -d "$ROOT/bench/check/node_modules" ] && command -v node >/dev/null; then
    node "$ROOT/bench/check/gen-events.mjs" --events 30000 "$TMP/judge.ndjson" 2>/dev/null && JUDGE_INPUT=(--input "$TMP/judge.ndjson")
fi
log "judging kept events again, phase by phase (${JUDGE_INPUT[1]:-the 21-event sample})"
"$JUDGEBENCH" "${JUDGE_INPUT[@]}" | tee -a "$RESULTS"

# --- table --------------------------------------------------------------------------------------------------------
python3 - "$RESULTS" "$MACHINE" <<'EOF'
import re
import statistics
import sys
rows = {}
rounds = {} # label without -rN -> {N: row}
filters = []
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("label="):
        kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
        key = kv["label"]
        m = re.fullmatch(r"(.+)-r(\d+)", key)
        if m:
            rounds.setdefault(m.group(1), {})[int(m.group(2))] = kv
            rows[key] = kv
            continue
        if key == "ui":
            key = "ui-" + kv["mode"] + ("-sync" if kv.get("ingest") == "sync" else "") + ("" if kv["contract"] == "1" else "-nocontract")
        if key == "search":
            filters.append(kv)
            continue
        rows[key] = kv
# A run done in rounds is represented by its median round (by events/s) where one row is wanted.
for key, by_round in rounds.items():
    ordered = sorted(by_round.values(), key=lambda r: float(r["events_per_s"]))
    rows[key] = ordered[(len(ordered) - 1) // 2]
def round_ratios(a, b, field):
    # Each round's ratio (the two runs of a round ran back to back), in round order.
    out = []
    for n in sorted(set(rounds.get(a, {})) & set(rounds.get(b, {}))):
        x, y = float(rounds[a][n][field]), float(rounds[b][n][field])
        if y > 0:
            out.append(x / y)
    return out
print()
print("Machine:", sys.argv[2])
print()
print("| run | events/s | requests/s | ack p50 ms | ack p99 ms | server CPU (cores) | CPU us/event | server peak RSS MB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
order = ["eventlens-max", "eventlens-rate10k", "nginx"]
for base in ["eventlens-js", "nginx-js", "mitmproxy", "eventlens-passthrough"]:
    order += [f"{base}-r{n}" for n in sorted(rounds.get(base, {}))]
for k in order:
    r = rows.get(k)
    if r:
        print(f"| {k} | {float(r['events_per_s']):,.0f} | {float(r['req_per_s']):,.0f} | {r['p50_ms']} | {r['p99_ms']} | {r['sink_cpu_cores']} | {r['sink_cpu_us_per_event']} | {r['sink_vmhwm_mb']} |")
def ratio(a, b):
    try:
        return float(rows[a]["events_per_s"]) / float(rows[b]["events_per_s"])
    except (KeyError, ZeroDivisionError):
        return None
print()
for a, b in [("eventlens-max", "nginx"), ("eventlens-passthrough", "mitmproxy"), ("nginx", "mitmproxy"), ("eventlens-passthrough", "nginx")]:
    per_round = round_ratios(a, b, "events_per_s")
    if per_round:
        print(f"- {a} / {b} throughput: {statistics.median(per_round):.3f}x (median of the rounds: " + ", ".join(f"{x:.3f}x" for x in per_round) + ")")
        continue
    r = ratio(a, b)
    if r is not None:
        print(f"- {a} / {b} throughput: {r:.3f}x" + (" (median rounds)" if a in rounds or b in rounds else ""))
print()
print("| GUI run | events | insert events/s | longest stall ms | feeder max behind (events) | ingest µs/event | bytes/event (RSS) | raw JSON bytes/event | ratio | ratio, jemalloc purged |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for k in ["ui-max", "ui-rate", "ui-rate-sync", "ui-rate-nocontract"]:
    r = rows.get(k)
    if r:
        print(f"| {k} | {int(r['events']):,} | {float(r['insert_events_per_s']):,.0f} | {r['longest_stall_ms']} | {r['feeder_max_behind_events']} | {r['ingest_us_per_event']} | {r['rss_per_event_bytes']} | {r['raw_json_bytes_per_event']} | {r['memory_ratio']} | {r.get('memory_ratio_purged', '')} |")
for label in ["ui-filters"]:
    f = rows.get(label)
    if f:
        print()
        print(label, "over", f["events"], "rows (ms):", ", ".join(f"{k}={v}" for k, v in f.items() if k.endswith("_ms")))
j = rows.get("judgebench")
if j:
    print()
    print(f"Judging a kept event again, one thread ({int(j['events']):,} events, {j['failing']} failing): parse {j['parse_us']} µs, "
          f"judgeEvent {j['judge_us']} µs (valid {j['judge_valid_us']}, failing {j['judge_failing_us']}), coverage {j['count_us']} µs; "
          f"all three {j['whole_us']} µs = {int(j['whole_events_per_s_one_core']):,} events/s per core")
m = rows.get("memory")
if m:
    print()
    print(f"Events alone ({int(m['events']):,} in an EventStore, Event is {m['sizeof_event']} bytes): {m['rss_per_event_bytes']} bytes/event for {m['raw_json_bytes_per_event']} bytes of raw JSON = {m['memory_ratio']}x")
if filters:
    print()
    print("| search needle | threads | kernel | rows | ms | matches |")
    print("|---|---:|---|---:|---:|---:|")
    for f in filters:
        print(f"| {f.get('needle')} | {f.get('threads')} | {f.get('kernel', '')} | {f.get('rows')} | {f.get('ms')} | {f.get('matches')} |")

# The targets of issue 15 (and the figures issue 8 set, which must not regress), each next to its peer of this run.
targets = []
def target(name, measured, peer, met):
    targets.append((name, measured, peer, "**met**" if met else "not met"))
def fewer(n):
    return "" if n >= 1000000 else " (the target is set for 1M; fixed costs weigh more in a shorter run)"
def num(row, key):
    try:
        return float(rows[row][key])
    except (KeyError, ValueError):
        return None
eps = num("eventlens-max", "events_per_s")
if eps is not None:
    target("live ingest >= 100,000 events/s, contract + journal, 2 cores", f"{eps:,.0f} events/s ({eps / 100000:.2f}x the target)", "-", eps >= 100000)
p99 = num("eventlens-rate10k", "p99_ms")
if p99 is not None:
    target("p99 acknowledgment < 10 ms at 10,000 events/s", f"{p99:.2f} ms", "-", p99 < 10)
def in_rounds(a, b, field, unit, peer_name, goal):
    # The median of the rounds' ratios decides; each round's ratio is shown beside it.
    ratios = round_ratios(a, b, field)
    if not ratios:
        return None
    med = statistics.median(ratios)
    xs = sorted(float(r[field]) for r in rounds[a].values())
    ys = sorted(float(r[field]) for r in rounds[b].values())
    each = ", ".join(f"{x:.3f}x" for x in ratios)
    measured = f"median {med:.3f}x over {len(ratios)} rounds ({each}); {statistics.median(xs):,.0f} {unit} (median; {xs[0]:,.0f}-{xs[-1]:,.0f})"
    peer = f"{peer_name} {statistics.median(ys):,.0f} {unit} (median; {ys[0]:,.0f}-{ys[-1]:,.0f})"
    return measured, peer, med >= goal
js = in_rounds("eventlens-js", "nginx-js", "req_per_s", "requests/s", "nginx", 0.25)
if js:
    target("single-event requests >= 0.25x nginx", *js)
passthrough = in_rounds("eventlens-passthrough", "mitmproxy", "events_per_s", "events/s", "mitmproxy", 1.5)
if passthrough:
    target("pass-through >= 1.5x mitmproxy, every event decoded, judged, journaled", *passthrough)
reload_eps, reload_stall = num("ui-filters", "reload_events_per_s"), num("ui-filters", "reload_longest_stall_ms")
if reload_eps is not None and reload_stall is not None:
    target("Reload Contract in the background: >= 200,000 events/s judged again, no stall > 100 ms", f"{reload_eps:,.0f} events/s over {int(num('ui-filters', 'reload_events') or 0):,} events, longest stall {reload_stall:.0f} ms", "-", reload_eps >= 200000 and reload_stall <= 100)
gui_eps, gui_stall = num("ui-rate", "insert_events_per_s"), num("ui-rate", "longest_stall_ms")
if gui_eps is not None and gui_stall is not None:
    target("GUI at 20,000 events/s (keeps up), no stall > 100 ms", f"{gui_eps:,.0f} events/s, longest stall {gui_stall:.0f} ms", "-", gui_eps >= 19000 and gui_stall <= 100)
purged, rss = num("ui-max", "memory_ratio_purged"), num("ui-max", "memory_ratio")
if rss is not None:
    shown = f"in use {purged:.2f}x, RSS {rss:.2f}x" if purged is not None else f"RSS {rss:.2f}x"
    n = int(num("ui-max", "events") or 0)
    target("memory per event <= 1.5x its raw JSON (GUI pipeline)", f"{shown} over {n:,} events{fewer(n)}", "-", (purged if purged is not None else rss) <= 1.5)
f = rows.get("ui-filters")
if f:
    slowest = max((float(v), k) for k, v in f.items() if k.endswith("_ms") and not k.startswith(("reload", "contract")))
    n = int(f["events"])
    target("filters < 300 ms", f"slowest {slowest[0]:.0f} ms ({slowest[1]}) over {n:,} rows{fewer(n)}", "-", slowest[0] < 300)
if targets:
    print()
    print("Targets (issue 15; the GUI, memory and filter figures of issue 8 must not regress). `eventlens check` against ajv: the table of bench/check/run.sh (CHECK=1).")
    print()
    print("| target | measured | peer, same run | status |")
    print("|---|---|---|---|")
    for t in targets:
        print("| " + " | ".join(t) + " |")
EOF

# --- 9: eventlens check vs ajv (optional) -------------------------------------------------------------------------
if [ "$CHECK" = 1 ]; then
    log "eventlens check vs ajv (bench/check/run.sh)"
    if [ "$QUICK" = 1 ]; then
        BUILD="$BUILD" EVENTS="${EVENTS:-60000}" RUNS="${RUNS:-1}" "$ROOT/bench/check/run.sh"
    else
        BUILD="$BUILD" "$ROOT/bench/check/run.sh"
    fi
fi

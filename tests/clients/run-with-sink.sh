#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs one real-client test against a freshly started EventLens sink.
#
#   run-with-sink.sh <path-to-eventlens> <test.mjs> [extra sink args...]
#
# Picks a free loopback port, starts `<eventlens> --headless --port P` in the background,
# waits for GET /eventlens/v1/health, exports EVENTLENS_URL=http://127.0.0.1:P, runs
# `node <test.mjs>`, stops the sink with SIGTERM (it must exit 0) and exits with the test's
# status (or 1 if the sink misbehaved). The sink's stdout/stderr are printed on any failure
# (always when EVENTLENS_TEST_VERBOSE=1).
# A sink argument "@UPSTREAM@" starts tests/proxy/upstream.py (Python's own HTTP server: it records what it is sent
# and answers {"status":"Ok"}) on a free port first and stands for its URL, which the test gets as
# EVENTLENS_UPSTREAM_URL: `run-with-sink.sh eventlens t.mjs --upstream @UPSTREAM@` tests the pass-through.
# Env: EVENTLENS_HEALTH_TIMEOUT (s, default 15), EVENTLENS_STOP_TIMEOUT (s, default 10),
#      EVENTLENS_TEST_TIMEOUT (s, default 95: below the CTest TIMEOUT of 120).
set -uo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 <path-to-eventlens> <test.mjs> [extra sink args...]" >&2
    exit 2
fi
sink_bin=$1
test_file=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
health_timeout=${EVENTLENS_HEALTH_TIMEOUT:-15}
stop_timeout=${EVENTLENS_STOP_TIMEOUT:-10}
test_timeout=${EVENTLENS_TEST_TIMEOUT:-95}

log() { echo "run-with-sink: $*" >&2; }

if [ ! -x "$sink_bin" ]; then
    log "sink binary '$sink_bin' does not exist or is not executable (build target eventlens first)"
    exit 2
fi
if [ ! -f "$test_file" ]; then
    log "test file '$test_file' not found"
    exit 2
fi
if ! command -v node >/dev/null 2>&1; then
    log "node is not on PATH; run $repo/.ci/deps (needs Node >= 20.20)"
    exit 2
fi
for pkg in posthog-node posthog-js playwright-core; do
    if [ ! -f "$here/node_modules/$pkg/package.json" ]; then
        log "npm test clients are missing ($here/node_modules/$pkg)."
        log "Install them with: $repo/.ci/deps   (or: cd $here && npm ci)"
        exit 2
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/eventlens-client-test.XXXXXX")
sink_pid=""
upstream_pid=""
dump_sink_output() {
    for f in stdout stderr; do
        if [ -s "$work/sink.$f" ]; then
            echo "----- eventlens $f (port ${port:-?}) -----" >&2
            cat "$work/sink.$f" >&2
            echo "----- end of eventlens $f -----" >&2
        fi
    done
}
# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    if [ -n "$sink_pid" ] && kill -0 "$sink_pid" 2>/dev/null; then
        kill -KILL "$sink_pid" 2>/dev/null
        wait "$sink_pid" 2>/dev/null
    fi
    if [ -n "$upstream_pid" ]; then
        kill "$upstream_pid" 2>/dev/null
        wait "$upstream_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
# Exit status 0 once GET /eventlens/v1/health answers 200 with {"status":"ok"}.
health_ok() {
    node -e '
        fetch(process.argv[1], {signal: AbortSignal.timeout(2000)})
            .then(async r => { const j = await r.json(); process.exit(r.ok && j.status === "ok" ? 0 : 1); })
            .catch(() => process.exit(1));' "http://127.0.0.1:$1/eventlens/v1/health"
}

# Keep the sink's own state away from the user's real data/config.
export XDG_DATA_HOME="$work/xdg/data" XDG_CONFIG_HOME="$work/xdg/config" XDG_CACHE_HOME="$work/xdg/cache"
export XDG_RUNTIME_DIR="$work/xdg/runtime"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}

# An upstream for pass-through tests: upstream.py on a free port (it prints "listening PORT"); its standard input
# stays open (it stops when that closes) until cleanup() kills it.
sink_args=()
for arg in "$@"; do
    if [ "$arg" = "@UPSTREAM@" ]; then
        if [ -z "$upstream_pid" ]; then
            command -v python3 >/dev/null || { log "python3 is needed for the upstream (.ci/deps installs it)"; exit 2; }
            mkfifo "$work/upstream.in"
            python3 "$repo/tests/proxy/upstream.py" <"$work/upstream.in" >"$work/upstream.out" 2>"$work/upstream.err" &
            upstream_pid=$!
            exec 9>"$work/upstream.in"
            deadline=$((SECONDS + health_timeout))
            until grep -q '^listening ' "$work/upstream.out" 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
            upstream_port=$(sed -n 's/^listening //p' "$work/upstream.out")
            if [ -z "$upstream_port" ]; then
                log "upstream.py did not start"; cat "$work/upstream.err" >&2; exit 1
            fi
            export EVENTLENS_UPSTREAM_URL="http://127.0.0.1:$upstream_port"
            log "upstream.py pid $upstream_pid listening at $EVENTLENS_UPSTREAM_URL"
        fi
        arg=$EVENTLENS_UPSTREAM_URL
    fi
    sink_args+=("$arg")
done

# Start the sink; retry with another port if the chosen one was taken in the meantime.
port=""
started=0
for attempt in 1 2 3; do
    port=$(free_port) || { log "could not pick a free port"; exit 1; }
    : >"$work/sink.stdout"; : >"$work/sink.stderr"
    "$sink_bin" --headless --port "$port" "${sink_args[@]}" >"$work/sink.stdout" 2>"$work/sink.stderr" &
    sink_pid=$!
    deadline=$((SECONDS + health_timeout))
    while [ $SECONDS -lt $deadline ]; do
        if ! kill -0 "$sink_pid" 2>/dev/null; then
            wait "$sink_pid"; rc=$?
            log "attempt $attempt: eventlens exited early with status $rc (port $port)"
            sink_pid=""
            break
        fi
        if health_ok "$port"; then started=1; break; fi
        sleep 0.2
    done
    [ $started = 1 ] && break
    if [ -n "$sink_pid" ]; then
        log "eventlens did not answer GET /eventlens/v1/health within ${health_timeout}s (port $port)"
        dump_sink_output
        exit 1
    fi
    dump_sink_output
done
if [ $started != 1 ]; then
    log "eventlens could not be started"
    exit 1
fi

export EVENTLENS_URL="http://127.0.0.1:$port"
log "eventlens pid $sink_pid listening at $EVENTLENS_URL; running node $(basename "$test_file")"
# Own deadline below CTest's TIMEOUT (120 s) so the sink is still stopped and its log printed.
(cd "$here" && timeout --kill-after=5 "$test_timeout" node "$test_file")
test_rc=$?
if [ $test_rc -eq 124 ] || [ $test_rc -eq 137 ]; then
    log "$(basename "$test_file") did not finish within ${test_timeout}s (status $test_rc)"
fi

# Stop the sink: SIGTERM, it must exit 0 within the timeout.
sink_rc=0
if kill -0 "$sink_pid" 2>/dev/null; then
    kill -TERM "$sink_pid"
    deadline=$((SECONDS + stop_timeout))
    while kill -0 "$sink_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$sink_pid" 2>/dev/null; then
        log "eventlens did not exit within ${stop_timeout}s of SIGTERM; killing it"
        kill -KILL "$sink_pid" 2>/dev/null
        wait "$sink_pid" 2>/dev/null
        sink_rc=1
    else
        wait "$sink_pid"; rc=$?
        if [ $rc -ne 0 ]; then
            log "eventlens exited with status $rc after SIGTERM (expected 0)"
            sink_rc=1
        fi
    fi
else
    wait "$sink_pid"; rc=$?
    log "eventlens died during the test (status $rc)"
    sink_rc=1
fi
sink_pid=""

if [ $test_rc -ne 0 ] || [ $sink_rc -ne 0 ] || [ "${EVENTLENS_TEST_VERBOSE:-0}" = 1 ]; then
    dump_sink_output
fi
if [ $test_rc -ne 0 ]; then
    log "FAILED: $(basename "$test_file") exited with status $test_rc"
    exit $test_rc
fi
if [ $sink_rc -ne 0 ]; then
    log "FAILED: the sink did not shut down cleanly"
    exit 1
fi
log "PASSED: $(basename "$test_file")"
exit 0

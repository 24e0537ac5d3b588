#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Makes the two recordings of tests/data/diff (README, "`eventlens diff`: compare with a baseline"):
#
#   after.ndjson   the built-in BYOK scenarios, replayed into a headless sink and read back as the events it
#                  normalised (one event per line, the format `eventlens check` reads);
#   before.ndjson  the same events with `runtime_type` taken out of run_created and run_finished: the world before
#                  the change that promoted runtime_type to every event (issue 17).
#
# usage: tests/data/diff/make-recordings.sh [EVENTLENS]   (default: build/diff/app/eventlens, then eventlens)
# Needs curl and jq. Uuids, run ids and times are new on every run, so the files change each time; tst_diff checks
# that before.ndjson is after.ndjson derived as below (strip_runtime_type).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${1:-}
if [[ -z $bin ]]; then
    if [[ -x $root/build/diff/app/eventlens ]]; then bin=$root/build/diff/app/eventlens; else bin=eventlens; fi
fi
port=${EVENTLENS_DIFF_PORT:-18517}
scenarios=(byok-success byok-failure byok-cancel byok-refresh-failure byok-mode-switch-mid-run api-mode-stale-amr
    byok-stuck-at-created)

# The derivation, also done by tst_diff (recordingsAreDerived).
strip_runtime_type() {
    jq -c 'if (.event == "run_created" or .event == "run_finished") then del(.properties.runtime_type) else . end'
}

"$bin" --headless --no-session --quiet --port "$port" 2>/dev/null &
sink=$!
trap 'kill "$sink" 2>/dev/null || true; wait "$sink" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/eventlens/v1/health" >/dev/null && break
    sleep 0.1
done
args=()
for s in "${scenarios[@]}"; do args+=("builtin:$s"); done
"$bin" replay --target "http://127.0.0.1:$port" --speed max "${args[@]}"
# Each event as the sink normalised it (`doc`): event, distinct_id, uuid, timestamp, properties.
curl -sf "http://127.0.0.1:$port/eventlens/v1/events?limit=100000" \
    | jq -c '.events[] | {event, distinct_id, uuid, timestamp, properties}' >"$here/after.ndjson"
strip_runtime_type <"$here/after.ndjson" >"$here/before.ndjson"
echo "wrote $here/after.ndjson and $here/before.ndjson ($(wc -l <"$here/after.ndjson") events each)"

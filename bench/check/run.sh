#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `eventlens check` against its peer, an ajv 8 script (ajv-check.mjs: the contract's per-event schemas, compiled,
# draft-07), side by side on the same NDJSON input, and prints the ratios against the targets of the issue:
# check >= 1.5x the peer's events/s, peak memory <= 1.5x the peer's (and independent of the input size).
#
#   bench/check/run.sh                   # 300,000 events, 3 runs of each, alternating
#   EVENTS=30000 RUNS=1 bench/check/run.sh
#   SIZE_SCALING=1 bench/check/run.sh    # also: EventLens and the peer on 1x and 3x the input (peak RSS vs size)
#   VERIFY=1 bench/check/run.sh          # also: EventLens's verdicts on a small input == the generator's (verify.mjs)
#
# Knobs: BUILD (build tree, default build/default), JOBS (build jobs, default 2), EVENTS, RUNS, SIZE_SCALING,
# SIZE_RUNS (runs on the 3x input, default RUNS), VERIFY, VERIFY_EVENTS (default 21000), TMPDIR (inputs are cached in
# ${TMPDIR:-/tmp}/eventlens-bench-check, named after the event count and a hash of the generator, the sample events
# and the contract; the 300k input is 453 MB, the 3x one 1.36 GB).
# EventLens writes its JSON report to a temporary file (not -o /dev/null: see check_timed in common.sh, which also
# holds the build, the input cache and the timer that scan.sh uses too).
# Wall time, peak RSS and CPU time come from GNU time (/usr/bin/time -f '%e %M %U %S'; `apt-get install time`); without it, from
# python3's resource.getrusage(RUSAGE_CHILDREN) around the command. The table uses the median of the runs; the
# machine is noisy, so read the ratios, not the absolute numbers.
set -euo pipefail

EVENTS="${EVENTS:-300000}"
RUNS="${RUNS:-3}"
SIZE_RUNS="${SIZE_RUNS:-$RUNS}"
SIZE_SCALING="${SIZE_SCALING:-0}"
VERIFY="${VERIFY:-0}"
VERIFY_EVENTS="${VERIFY_EVENTS:-21000}"
CONTRACT=builtin:open-design
# shellcheck source=SCRIPTDIR/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# --- build and peer -----------------------------------------------------------------------------------------------
log "building eventlens ($BUILD)"
build eventlens
npm_packages
make_tmp eventlens-bench-check-run

RESULTS="$TMP/results.txt" # tool label events wall_s rss_kib user_s sys_s
: >"$RESULTS"

run_eventlens() { # label input
    check_timed "$TMP/t" '%e %M %U %S' "$CONTRACT" "$2"
    printf '  eventlens %s: %s s, %s KiB peak RSS: %s\n' "$1" "$(cut -d' ' -f1 "$TMP/t")" "$(cut -d' ' -f2 "$TMP/t")" "$CHECK_SUMMARY" >&2
    printf 'eventlens %s %s %s\n' "$1" "${CHECKED:-0}" "$(cat "$TMP/t")" >>"$RESULTS"
}

run_ajv() { # label input
    timed "$TMP/t" '%e %M %U %S' "$NODE" "$HERE/ajv-check.mjs" "$2" >"$TMP/ajv.out"
    local events
    events="$("$NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).events)' "$TMP/ajv.out")"
    printf '  ajv %s: %s s, %s KiB peak RSS: %s\n' "$1" "$(cut -d' ' -f1 "$TMP/t")" "$(cut -d' ' -f2 "$TMP/t")" "$(cat "$TMP/ajv.out")" >&2
    printf 'ajv %s %s %s\n' "$1" "$events" "$(cat "$TMP/t")" >>"$RESULTS"
}

side_by_side() { # label input runs
    cat "$2" >/dev/null # into the page cache, for both
    for r in $(seq 1 "$3"); do
        log "$1: run $r of $3"
        if [ $((r % 2)) = 1 ]; then run_eventlens "$1" "$2"; run_ajv "$1" "$2"; else run_ajv "$1" "$2"; run_eventlens "$1" "$2"; fi
    done
}

# --- verify (optional) --------------------------------------------------------------------------------------------
if [ "$VERIFY" = 1 ]; then
    SMALL="$(input "$VERIFY_EVENTS")"
    log "verify: EventLens's schema/global verdicts on $VERIFY_EVENTS events == the generator's"
    "$EVENTLENS" check --contract "$CONTRACT" -f json -o "$TMP/verify.json" "$SMALL" 2>/dev/null || true
    "$NODE" "$HERE/verify.mjs" "$TMP/verify.json" "$SMALL.invalid"
fi

# --- measure ------------------------------------------------------------------------------------------------------
# shellcheck source=/dev/null
MACHINE="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
log "machine: $MACHINE; timer: $TIMER"
MAIN="$(input "$EVENTS")"
side_by_side 1x "$MAIN" "$RUNS"
if [ "$SIZE_SCALING" = 1 ]; then
    BIG="$(input $((EVENTS * 3)))"
    side_by_side 3x "$BIG" "$SIZE_RUNS"
fi

# --- table --------------------------------------------------------------------------------------------------------
"$NODE" - "$RESULTS" "$MACHINE" "$TIMER" "$RUNS" "$(stat -c %s "$MAIN")" "$EVENTS" "$(node -e 'console.log(process.version)')" <<'EOF'
const fs = require('fs');
const [results, machine, timer, runs, bytes, events, nodeVersion] = process.argv.slice(2);
const rows = fs.readFileSync(results, 'utf8').trim().split('\n').map((l) => {
    const [tool, label, n, wall, rss, user, sys] = l.split(' ');
    return { tool, label, events: Number(n), wall: Number(wall), rssMiB: Number(rss) / 1024, cpu: Number(user) + Number(sys) };
});
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const stat = (tool, label) => {
    const rs = rows.filter((r) => r.tool === tool && r.label === label);
    if (!rs.length) return null;
    return { events: rs[0].events, eps: median(rs.map((r) => r.events / r.wall)), rss: median(rs.map((r) => r.rssMiB)),
        wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.cpu)), n: rs.length };
};
const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
console.log(`\nMachine: ${machine}; node ${nodeVersion}, ajv 8.20.0; ${timer}; median of ${runs} run(s) each, alternating.`);
console.log(`Input: ${fmt(Number(events))} open-design events, ${fmt(Number(bytes) / 1e6, 1)} MB NDJSON, 10 % schema-invalid.\n`);
console.log('| work | EventLens events/s | EventLens peak RSS MiB | ajv events/s | ajv peak RSS MiB | speed ratio (EventLens/ajv) | memory ratio (EventLens/ajv) | target | met |');
console.log('|---|---:|---:|---:|---:|---:|---:|---|---|');
for (const label of ['1x', '3x']) {
    const e = stat('eventlens', label), a = stat('ajv', label);
    if (!e || !a) continue;
    const speed = e.eps / a.eps, mem = e.rss / a.rss;
    const met = `speed ${speed >= 1.5 ? 'met' : 'not met'}, memory ${mem <= 1.5 ? 'met' : 'not met'}`;
    console.log(`| check, ${fmt(e.events)} events | ${fmt(e.eps)} | ${fmt(e.rss)} | ${fmt(a.eps)} | ${fmt(a.rss)} | ${fmt(speed, 3)}x | ${fmt(mem, 3)}x | >= 1.5x speed, <= 1.5x memory | ${met} |`);
    if (e.events !== a.events) console.log(`\nwarning (${label}): EventLens counted ${e.events} events, ajv ${a.events}`);
}
// Not a target, but steadier than wall time on a noisy VM: the CPU each one spent (user + system, all its threads).
for (const label of ['1x', '3x']) {
    const e = stat('eventlens', label), a = stat('ajv', label);
    if (!e || !a) continue;
    console.log(`\nCPU (${label}, median user + system): EventLens ${fmt(e.cpu, 2)} s on ${fmt(e.cpu / e.wall, 2)} cores, ajv ${fmt(a.cpu, 2)} s on ${fmt(a.cpu / a.wall, 2)} cores; EventLens per event ${fmt(1e6 * e.cpu / e.events, 1)} µs, ajv ${fmt(1e6 * a.cpu / a.events, 1)} µs`);
}
const e1 = stat('eventlens', '1x'), e3 = stat('eventlens', '3x'), a1 = stat('ajv', '1x'), a3 = stat('ajv', '3x');
if (e1 && e3) {
    console.log('\n| size scaling | events | EventLens peak RSS MiB | EventLens events/s | ajv peak RSS MiB | ajv events/s |');
    console.log('|---|---:|---:|---:|---:|---:|');
    console.log(`| 1x | ${fmt(e1.events)} | ${fmt(e1.rss)} | ${fmt(e1.eps)} | ${a1 ? fmt(a1.rss) : ''} | ${a1 ? fmt(a1.eps) : ''} |`);
    console.log(`| 3x | ${fmt(e3.events)} | ${fmt(e3.rss)} | ${fmt(e3.eps)} | ${a3 ? fmt(a3.rss) : ''} | ${a3 ? fmt(a3.eps) : ''} |`);
    const r = e3.rss / e1.rss;
    console.log(`\nEventLens peak RSS 3x/1x: ${fmt(r, 2)}x (independent of input size: ${r <= 1.15 ? 'yes' : 'no'}, target <= 1.15x)` +
        (a1 && a3 ? `; ajv: ${fmt(a3.rss / a1.rss, 2)}x` : ''));
}
EOF

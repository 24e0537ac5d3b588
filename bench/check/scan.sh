#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the `scans` of a contract cost `eventlens check` (issue 18 part 3: at most 10 % of judging throughput). The
# same binary on the same NDJSON input (bench/check's generated open-design events, cached like run.sh's), with the
# built-in contract without a `scans` block and with one (secret as an error and pii as a warning, every detector),
# alternately; prints the median events/s and CPU seconds of each and their ratios. Then eventlens-scanbench: the
# same two contracts on judgeEvent() alone (no parsing, no sequence rules, no report), one thread.
#
#   bench/check/scan.sh                     # 100,000 events, 5 runs of each, alternating
#   EVENTS=300000 RUNS=3 bench/check/scan.sh
#
# Knobs: BUILD (build tree, default build/default), JOBS (build jobs, default 2), EVENTS, RUNS, TMPDIR (the input is
# cached in ${TMPDIR:-/tmp}/eventlens-bench-check, as run.sh does). The build, the input, the timer and the timed check
# are common.sh's, shared with run.sh; CPU seconds come from GNU time, else from python3's getrusage.
set -euo pipefail

EVENTS="${EVENTS:-100000}"
RUNS="${RUNS:-5}"
# shellcheck source=SCRIPTDIR/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

log "building eventlens and eventlens-scanbench ($BUILD)"
build eventlens eventlens-scanbench
SCANBENCH="$BUILD/bench/scan/eventlens-scanbench"
npm_packages
INPUT="$(input "$EVENTS")" # the same cache as run.sh
make_tmp eventlens-bench-scan

# --- the two contracts: the built-in one without and with a scans block -------------------------------------------
"$NODE" - "$ROOT/resources/contracts/open-design.json" "$TMP" <<'EOF'
const fs = require('fs');
const [src, dir] = process.argv.slice(2);
const c = JSON.parse(fs.readFileSync(src, 'utf8'));
const scans = c.scans || [
    { id: 'bench-secrets', kind: 'secret', severity: 'error' },
    { id: 'bench-pii', kind: 'pii', severity: 'warning' },
];
delete c.scans;
fs.writeFileSync(`${dir}/without.json`, JSON.stringify(c));
c.scans = scans;
fs.writeFileSync(`${dir}/with.json`, JSON.stringify(c));
EOF

RESULTS="$TMP/results.txt" # label wall_s user_s sys_s events by_kind
: >"$RESULTS"
run() { # label contract
    check_timed "$TMP/t" '%e %U %S' "$2" "$INPUT"
    local kinds
    kinds="$("$NODE" -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(JSON.stringify(r.summary.by_kind))' "$TMP/report.json")"
    local wall user sys
    read -r wall user sys <"$TMP/t"
    printf '  %s: %s s wall, %s s user, %s s sys; %s events; %s\n' "$1" "$wall" "$user" "$sys" "$CHECKED" "$kinds" >&2
    printf '%s %s %s %s\n' "$1" "$(cat "$TMP/t")" "$CHECKED" "$kinds" >>"$RESULTS"
}

cat "$INPUT" >/dev/null
MACHINE="$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
log "eventlens check, $EVENTS events, $RUNS runs of each, alternating ($MACHINE)"
for r in $(seq 1 "$RUNS"); do
    if [ $((r % 2)) = 1 ]; then run without "$TMP/without.json"; run with "$TMP/with.json"; else run with "$TMP/with.json"; run without "$TMP/without.json"; fi
done

log "eventlens-scanbench: judgeEvent() alone, one thread"
"$SCANBENCH" --contract "$TMP/without.json" | tee "$TMP/judge-sample.txt" >&2
"$SCANBENCH" --contract "$TMP/without.json" --input "$INPUT" --max-events 20000 | tee "$TMP/judge-input.txt" >&2

"$NODE" - "$RESULTS" "$TMP/judge-sample.txt" "$TMP/judge-input.txt" "$EVENTS" "$(stat -c %s "$INPUT")" "$MACHINE" <<'EOF'
const fs = require('fs');
const [results, sample, generated, events, bytes, machine] = process.argv.slice(2);
const rows = fs.readFileSync(results, 'utf8').trim().split('\n').map((l) => {
    const [label, wall, user, sys, n, ...kinds] = l.split(' ');
    return { label, wall: +wall, cpu: +user + +sys, events: +n, kinds: kinds.join(' ') };
});
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const stat = (label) => {
    const rs = rows.filter((r) => r.label === label);
    return { eps: median(rs.map((r) => r.events / r.wall)), cpu: median(rs.map((r) => r.cpu)), events: rs[0].events, kinds: rs[0].kinds, n: rs.length };
};
const a = stat('without'), b = stat('with');
const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const field = (file, key) => Number((fs.readFileSync(file, 'utf8').match(new RegExp(`${key}=([0-9.]+)`)) || [])[1]);
console.log(`\nMachine: ${machine}; median of ${a.n} run(s) each, alternating.`);
console.log(`Input: ${fmt(+events)} open-design events, ${fmt(+bytes / 1e6, 1)} MB NDJSON.\n`);
console.log('| measurement | without scans | with scans | ratio (with/without) | cost |');
console.log('|---|---:|---:|---:|---:|');
console.log(`| eventlens check, events/s (wall) | ${fmt(a.eps)} | ${fmt(b.eps)} | ${fmt(b.eps / a.eps, 3)}x | ${fmt(100 * (1 - b.eps / a.eps), 1)} % |`);
console.log(`| eventlens check, CPU seconds (user+sys) | ${fmt(a.cpu, 2)} | ${fmt(b.cpu, 2)} | ${fmt(b.cpu / a.cpu, 3)}x | ${fmt(100 * (b.cpu / a.cpu - 1), 1)} % |`);
for (const [label, file] of [['golden sample (21 events)', sample], ['generated input (20,000 events)', generated]]) {
    const w = field(file, 'judge_events_per_s_without'), s = field(file, 'judge_events_per_s_with');
    console.log(`| judgeEvent() alone, ${label}, events/s | ${fmt(w)} | ${fmt(s)} | ${fmt(s / w, 3)}x | ${fmt(100 * (1 - s / w), 1)} % |`);
}
console.log(`\nViolations by kind: without ${a.kinds}; with ${b.kinds}`);
if (a.events !== b.events) console.log(`warning: ${a.events} events without scans, ${b.events} with`);
EOF

# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # (the variables it sets are read by the scripts that source it)
# Sourced by bench/check/run.sh and bench/check/scan.sh: the build, the npm packages, the generated input (cached), a
# temporary directory, the timer and one timed `eventlens check`.
# Knobs read here: BUILD (build tree, default build/default), JOBS (build jobs, default 2), TMPDIR (inputs are cached
# in ${TMPDIR:-/tmp}/eventlens-bench-check, named after the event count and a hash of the generator, the sample
# events and the contract).
# Sets HERE (bench/check), ROOT, BUILD, JOBS, CACHE, KEY, TIMER; build() sets EVENTLENS, npm_packages() sets NODE,
# make_tmp() sets TMP, check_timed() sets CHECKED and CHECK_SUMMARY.

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${BUILD:-$ROOT/build/default}"
JOBS="${JOBS:-2}"
CACHE="${TMPDIR:-/tmp}/eventlens-bench-check"

log() { printf '\n== %s\n' "$*" >&2; }

build() { # target... : configures $BUILD when it has no CMakeCache.txt, builds the targets
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        if [ "$BUILD" = "$ROOT/build/default" ]; then (cd "$ROOT" && cmake --preset default >&2); else cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2; fi
    fi
    cmake --build "$BUILD" --target "$@" -j "$JOBS" >&2
    EVENTLENS="$BUILD/app/eventlens"
}

npm_packages() { # ajv-check.mjs, and gen-events.mjs (it validates what it writes), need ajv
    if [ ! -d "$HERE/node_modules/ajv" ]; then
        log "npm ci (bench/check)"
        (cd "$HERE" && npm ci --no-audit --no-fund >&2)
    fi
    NODE="$(command -v node)"
}

# --- input --------------------------------------------------------------------------------------------------------
KEY="$(cat "$HERE/gen-events.mjs" "$HERE/ajv-check.mjs" "$ROOT/tests/data/open-design/valid.ndjson" \
    "$ROOT/resources/contracts/open-design.json" | sha256sum | cut -c1-12)"
input() { # events -> path of the cached input (generated if missing; needs npm_packages first)
    local path="$CACHE/open-design-$1-$KEY.ndjson"
    mkdir -p "$CACHE"
    if [ ! -s "$path" ] || [ ! -f "$path.invalid" ]; then
        log "generating $1 events -> $path"
        # Called as $(input N), where bash does not keep set -e: a failed step ends the subshell, and the caller's
        # assignment fails with it.
        "$NODE" "$HERE/gen-events.mjs" --events "$1" --invalid-lines "$path.invalid.tmp" "$path.tmp" 2>"$path.gen.json" \
            || { cat "$path.gen.json" >&2; echo "gen-events.mjs failed" >&2; exit 1; }
        "$NODE" -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); delete s.by_mutation; console.log(JSON.stringify(s))' "$path.gen.json" >&2
        mv "$path.invalid.tmp" "$path.invalid" && mv "$path.tmp" "$path" || exit 1
    fi
    printf '%s\n' "$path"
}

make_tmp() { # name : TMP, a fresh directory removed when the script exits
    TMP="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
    trap 'rm -rf "$TMP"' EXIT
}

# --- timing -------------------------------------------------------------------------------------------------------
# timed out-file format cmd... : runs cmd, writes the fields of format (GNU time's %e wall s, %M peak RSS KiB, %U user
# s, %S sys s) to out-file, returns cmd's status. GNU time (/usr/bin/time; `apt-get install time`) when installed, else
# python3's resource.getrusage(RUSAGE_CHILDREN) around the command.
if [ -x /usr/bin/time ]; then
    TIMER="GNU time"
    timed() {
        local out=$1 format=$2 rc=0
        shift 2
        /usr/bin/time -f "$format" -o "$out.raw" "$@" || rc=$?
        tail -n 1 "$out.raw" >"$out" # GNU time puts "Command exited with non-zero status N" first
        return "$rc"
    }
else
    TIMER="python3 getrusage"
    timed() {
        local out=$1 format=$2
        shift 2
        python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[3:])
wall = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
fields = {"%e": "%.2f" % wall, "%M": "%d" % u.ru_maxrss, "%U": "%.2f" % u.ru_utime, "%S": "%.2f" % u.ru_stime}
with open(sys.argv[1], "w") as f:
    f.write(" ".join(fields[k] for k in sys.argv[2].split()) + "\n")
sys.exit(rc)' "$out" "$format" "$@"
    }
fi

# check_timed out-file format contract input : `eventlens check --contract CONTRACT -f json INPUT`, timed (see timed),
# its JSON report in $TMP/report.json and its stderr in $TMP/check.err. Exit 1 (error-severity violations) is expected;
# anything above ends the script. Sets CHECKED (the events it counted) and CHECK_SUMMARY (its last stderr line).
check_timed() {
    local out=$1 format=$2 rc=0
    # Not `-o /dev/null`: the report is written with QSaveFile (temporary file + rename), which, run as root,
    # replaces the /dev/null device with a regular file. The report goes to a regular file in $TMP instead.
    rm -f "$TMP/report.json"
    timed "$out" "$format" "$EVENTLENS" check --contract "$3" -f json -o "$TMP/report.json" "$4" 2>"$TMP/check.err" || rc=$?
    if [ "$rc" -gt 1 ]; then
        cat "$TMP/check.err" >&2
        echo "eventlens check failed (exit $rc)" >&2
        exit 1
    fi
    CHECK_SUMMARY="$(tail -n 1 "$TMP/check.err")"
    CHECKED="$(sed -n 's/^checked \([0-9]*\) events.*/\1/p' "$TMP/check.err" | tail -n 1)"
}

#!/usr/bin/env bash
# Builds one libFuzzer target with clang (address + undefined) and fuzzes it for SECONDS.
#   tests/fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]
#   TARGET: decode | event | http | contract | scenario | schemadiff | json | scan   (default SECONDS: 180)
# Findings land in build/fuzz/findings/TARGET/ (crash-*, leak-*, timeout-*); new coverage is kept in
# build/fuzz/corpus/TARGET/ (the checked-in seeds in tests/fuzz/corpus/TARGET/ are never modified).
# Reproduce one: build/fuzz/tests/fuzz/fuzz_TARGET FILE. Then add FILE to tests/fuzz/regressions/TARGET/
# so the normal test run (fuzz_replay_TARGET) keeps replaying it.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:?usage: tests/fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-180}
shift $(( $# >= 2 ? 2 : 1 ))
build="$here/build/fuzz"
jobs=${JOBS:-$(nproc)}
if [[ ! -f "$build/build.ninja" ]]; then
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_COMPILER=clang++ -DEVENTLENS_FUZZ=ON -DEVENTLENS_BUILD_BENCH=OFF -DEVENTLENS_JEMALLOC=OFF \
        -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer -fno-sanitize=vptr -D_GLIBCXX_ASSERTIONS" \
        -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
fi
cmake --build "$build" --target "fuzz_$target" -j"$jobs"
mkdir -p "$build/corpus/$target" "$build/findings/$target"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build/findings/$target"
exec "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 "$@" "$build/corpus/$target" "$here/tests/fuzz/corpus/$target" \
    $( [[ -d "$here/tests/fuzz/regressions/$target" ]] && echo "$here/tests/fuzz/regressions/$target" )

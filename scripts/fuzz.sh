#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/fuzz_*.c) with clang and run each for a bounded time,
# starting from the seed corpora in fuzz/corpus/<target>/. Not part of CI.
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_TARGETS   space-separated subset (default: every fuzz/fuzz_*.c)
#   FUZZ_BUILD_DIR build directory (default: build-fuzz)
#   FUZZ_JOBS      parallel fuzzing processes per target (default 1)
# New corpus entries go to $FUZZ_BUILD_DIR/corpus/<target> (the checked-in seeds are
# never modified); crashes to $FUZZ_BUILD_DIR/artifacts/<target>/. Exit status 1 if any
# target crashed, leaked or hit a sanitizer report.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-1}

# clang with the libFuzzer runtime (Debian: clang + libclang-rt-14-dev).
have_libfuzzer() {
    command -v clang >/dev/null 2>&1 || return 1
    local tmp
    tmp=$(mktemp -d)
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
        >"$tmp/t.c"
    clang -fsanitize=fuzzer "$tmp/t.c" -o "$tmp/t" >/dev/null 2>&1
    local rc=$?
    rm -rf "$tmp"
    return $rc
}
if ! have_libfuzzer; then
    echo "fuzz.sh: installing clang and libclang-rt-14-dev" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update
    $sudo_cmd apt-get install -y clang libclang-rt-14-dev libomp-14-dev
    have_libfuzzer || { echo "fuzz.sh: clang -fsanitize=fuzzer still does not link" >&2; exit 2; }
fi

if [ -n "${FUZZ_TARGETS:-}" ]; then
    targets=$FUZZ_TARGETS
else
    targets=$(cd "$root/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
fi

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DENTRAIN_FUZZ=ON \
    -DENTRAIN_TESTS=OFF -DENTRAIN_BENCH=OFF -DENTRAIN_NATIVE=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
for t in $targets; do
    cmake --build "$build" -j "$(nproc)" --target "$t" >/dev/null
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
summary=""
for t in $targets; do
    corpus="$build/corpus/$t"
    artifacts="$build/artifacts/$t"
    log="$build/$t.log"
    mkdir -p "$corpus" "$artifacts"
    seeds="$root/fuzz/corpus/$t"
    [ -d "$seeds" ] || seeds=""
    echo "== $t: ${seconds}s" >&2
    rc=0
    parallel=""
    [ "$jobs" -gt 1 ] && parallel="-jobs=$jobs -workers=$jobs"
    # Run in the build directory: with -jobs libFuzzer writes fuzz-N.log files there.
    (cd "$build" && rm -f fuzz-*.log &&
        "./$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 $parallel -artifact_prefix="$artifacts/" \
            "$corpus" $seeds) >"$log" 2>&1 || rc=$?
    logs=("$log")
    for l in "$build"/fuzz-*.log; do [ -e "$l" ] && logs+=("$l"); done
    execs=$(cat "${logs[@]}" | awk '/stat::number_of_executed_units/ {s += $2} END {print s + 0}')
    cov=$(cat "${logs[@]}" | awk '{for (i = 1; i < NF; i++) if ($i == "cov:") c = $(i + 1)}
        END {print c + 0}')
    ncorp=$(find "$corpus" -type f | wc -l)
    ncrash=$(find "$artifacts" -type f | wc -l)
    line="$t: ${seconds}s, ${execs} executions, coverage ${cov}, corpus ${ncorp}, artifacts ${ncrash}, exit ${rc}"
    summary="$summary$line"$'\n'
    if [ "$rc" -ne 0 ] || [ "$ncrash" -ne 0 ]; then
        status=1
        echo "   see $log and $artifacts" >&2
        grep -m5 -E 'ERROR|SUMMARY|fuzz check failed|runtime error' "$log" >&2 || true
    fi
done

echo "== fuzz summary"
printf '%s' "$summary"
exit $status

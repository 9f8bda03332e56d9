#!/usr/bin/env bash
# Install dependencies, build with warnings as errors, run every test (unit + end-to-end),
# then build again with AddressSanitizer + UndefinedBehaviorSanitizer and run the unit
# tests under them. Usage: scripts/test.sh   (ENTRAIN_SKIP_SANITIZERS=1 to skip the second part)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)

echo "== build (Release, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DENTRAIN_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${ENTRAIN_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DENTRAIN_WERROR=ON \
        -DENTRAIN_SANITIZE=ON -DENTRAIN_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$jobs"
  echo "== tests under sanitizers"
  # OpenMP's runtime keeps its thread pool alive at exit; that is not our leak.
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     LSAN_OPTIONS=suppressions="$PWD/../tests/lsan.supp" ctest --output-on-failure -j"$jobs")
fi

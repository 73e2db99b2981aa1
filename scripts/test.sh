#!/usr/bin/env bash
# Builds Hitless and runs every test: the release preset, the ASan+UBSan
# preset, and each libFuzzer target for a bounded time (the wire decoder for
# HITLESS_FUZZ_SECONDS, default 30; the others for half that). Installs missing Debian packages first. Exits non-zero on any
# failure. This is the README's test command and what CI (.ci/run) calls.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds=${HITLESS_FUZZ_SECONDS:-30}
jobs=$(nproc)

bash scripts/install-deps.sh

step() { printf '\n=== %s ===\n' "$*"; }

step "release build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
# Counts for the closing line: ctest's "out of N" of each run, plus fuzz targets.
passed=0
count_ctest() { passed=$((passed + $(sed -n 's/.*tests failed out of \([0-9]*\)$/\1/p' "$1" | tail -n1))); }
log=$(mktemp)

step "release tests"
ctest --preset release -j "$jobs" | tee "$log"
count_ctest "$log"

step "asan-ubsan build"
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j "$jobs"
step "asan-ubsan tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan-ubsan -j "$jobs" | tee "$log"
count_ctest "$log"
rm -f "$log"

step "fuzz build (clang, libFuzzer)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
for target in build/fuzz/tests/fuzz/*_fuzz; do
  [[ -x $target ]] || continue
  name=$(basename "$target")
  corpus_seed=tests/fuzz/corpus/${name%_fuzz}
  work=$(mktemp -d)
  [[ -d $corpus_seed ]] && cp -r "$corpus_seed"/. "$work"/
  seconds=$fuzz_seconds
  [[ $name == wire_fuzz ]] || seconds=$(((fuzz_seconds + 1) / 2))
  step "fuzz $name for ${seconds}s"
  status=0
  "$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" \
    "$work" >"$work.log" 2>&1 || status=$?
  if ((status != 0)); then
    tail -n 60 "$work.log"
    mkdir -p build/fuzz-artifacts && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
      build/fuzz-artifacts/ 2>/dev/null || true
    echo "fuzz target $name failed (exit $status); artifacts in build/fuzz-artifacts" >&2
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|Done)' "$work.log" || tail -n 3 "$work.log"
  passed=$((passed + 1))
  rm -rf "$work" "$work.log"
done
echo
echo "all tests passed (release and asan-ubsan ctest runs, fuzz targets)"
echo "tests: $passed passed, 0 failed"

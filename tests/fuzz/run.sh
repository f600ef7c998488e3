#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs each of them for SECONDS,
# one after another at low priority. Exits non-zero if clang or libFuzzer is
# missing, or if any harness finds a crash, hang, leak or sanitizer report
# (the input that did it is left in BUILD/fuzz/artifacts/HARNESS/).
#
#   tests/fuzz/run.sh SECONDS [HARNESS ...]     (build: $MEMSTACKS_BUILD or ./build)
set -uo pipefail

if [ $# -lt 1 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 SECONDS [HARNESS ...]" >&2
  exit 2
fi
seconds=$1
shift
fuzz=$(cd "$(dirname "$0")" && pwd)
build=${MEMSTACKS_BUILD:-$fuzz/../../build}/fuzz

if ! command -v clang >/dev/null; then
  echo "fuzz: clang is missing: the fuzzers cannot be built (bash scripts/install-deps.sh tests)" >&2
  exit 1
fi
mkdir -p "$build"
cmake -S "$fuzz" -B "$build" -DCMAKE_C_COMPILER=clang >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; echo "fuzz: cannot configure the fuzzers" >&2; exit 1; }
cmake --build "$build" -j2 >"$build/build.log" 2>&1 ||
  { cat "$build/build.log" >&2; echo "fuzz: cannot build the fuzzers" >&2; exit 1; }

if [ $# -eq 0 ]; then
  # Every harness: one source file each, beside this script.
  set -- $(cd "$fuzz" && ls *.c | sed 's/\.c$//')
fi
failed=()
for harness in "$@"; do
  work=$build/corpus/$harness
  artifacts=$build/artifacts/$harness/
  log=$build/logs/$harness.log
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  # New inputs go to the first directory (the build's), never to the committed seeds.
  nice -n 10 "$build/fuzz_$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -use_value_profile=1 -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "$fuzz/corpus/$harness" >"$log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
  if [ $status -eq 0 ]; then
    echo "fuzz: $harness: ${runs:-?} runs in $seconds s, $coverage, no failure"
  else
    tail -n 40 "$log" >&2
    echo "fuzz: $harness FAILED (exit $status): see $log and $artifacts" >&2
    failed+=("$harness")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi

#!/usr/bin/env bash
# The Quick start demo: installs what is missing, builds, starts the bundled
# forwarder, and traces it with memstacks and pgfaultstacks while the load
# driver runs, writing flame graphs (SVG, one differential), reports, JSON,
# pprof profiles and folded stacks to
# demo-output/ (or $DEMO_DIR). Run as root. It installs and builds only what
# the tools need: the tests' packages and targets come with scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh tools
BUILD_TESTING=OFF bash scripts/build.sh
build=${BUILD_DIR:-build}
out=${DEMO_DIR:-demo-output}
port=${DEMO_PORT:-18080}
mkdir -p "$out"

"$build/examples/forwarder" "$port" > "$out/forwarder.log" &
forwarder=$!
trap 'kill $forwarder 2>/dev/null || true' EXIT
until grep -q listening "$out/forwarder.log"; do
  kill -0 $forwarder 2>/dev/null || { echo "demo: the forwarder did not start" >&2; exit 1; }
  sleep 0.1
done

# trace TOOL NAME ARGS...: runs TOOL on the forwarder while the driver sends
# load: 20000 requests at full speed, or $driver_load ("REQUESTS RATE").
trace() {
  local tool=$1 name=$2
  shift 2
  "$build/$tool" -p $forwarder "$@" --json "$out/$name.json" \
    > "$out/$name.txt" 2> "$out/$name.log" &
  local tracer=$!
  until grep -q '^Tracing' "$out/$name.log"; do
    kill -0 $tracer 2>/dev/null || { cat "$out/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  # shellcheck disable=SC2086 # the load is two words on purpose
  "$build/examples/load_driver" "$port" ${driver_load:-20000} > /dev/null
  kill -INT $tracer
  wait $tracer
  cat "$out/$name.log" >&2
}

echo "== memstacks: unfreed allocations of the forwarder under load"
trace memstacks memstacks_unfreed -T 3 --svg "$out/memstacks_unfreed.svg" \
  --pprof "$out/memstacks_unfreed.pb.gz"
cat "$out/memstacks_unfreed.txt"
echo "== memstacks -f: the same as folded stacks for a flame graph"
trace memstacks memstacks_unfreed_folded -f
mv "$out/memstacks_unfreed_folded.txt" "$out/memstacks_unfreed.folded"
echo "== memstacks -a: every allocation, frees ignored"
trace memstacks memstacks_all -a -f --svg "$out/memstacks_all.svg"
mv "$out/memstacks_all.txt" "$out/memstacks_all.folded"
echo "== memstacks -i: unfreed bytes every second under a steady load, and the leak suspects"
driver_load="16000 2000" trace memstacks memstacks_intervals -i 1 -T 3
cat "$out/memstacks_intervals.txt"
echo "== memstacks --diff: that run's first interval against its last (nothing traced)"
"$build/memstacks" --diff "$out/memstacks_intervals.json" -T 2 --svg "$out/memstacks_diff.svg"
echo "== pgfaultstacks: resident pages the forwarder faulted in under load"
trace pgfaultstacks pgfaultstacks -T 3 --svg "$out/pgfaultstacks.svg" \
  --pprof "$out/pgfaultstacks.pb.gz"
cat "$out/pgfaultstacks.txt"
echo "== pgfaultstacks -f: the same as folded stacks for a flame graph"
trace pgfaultstacks pgfaultstacks_folded -f
mv "$out/pgfaultstacks_folded.txt" "$out/pgfaultstacks.folded"
echo
echo "demo: flame graphs (open the .svg files in a browser), reports, JSON and folded"
echo "stacks are in $out/, and pprof profiles (go tool pprof -http=:8080 FILE.pb.gz)"
ls "$out"/*.svg "$out"/*.pb.gz

#!/usr/bin/env bash
# Configures and builds into build/ (or $BUILD_DIR): the tools, the demo and
# the benchmarks, and with BUILD_TESTING=ON (the default) the tests' targets,
# which need the packages of `install-deps.sh tests`.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBUILD_TESTING="${BUILD_TESTING:-ON}" >/dev/null
cmake --build "$build" -j "$(nproc)"

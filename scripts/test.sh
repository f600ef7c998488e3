#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: install, build, ctest.
# Run as root: the tests load BPF programs into the running kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: run as root (the tests attach BPF programs to real processes)" >&2
  exit 1
fi
bash scripts/install-deps.sh tests
BUILD_TESTING=ON bash scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure

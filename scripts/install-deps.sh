#!/usr/bin/env bash
# Installs on Debian 12, as root, what building and running the tools needs
# (`install-deps.sh tools`), or that and what only the tests and benchmarks
# need (`install-deps.sh tests`), and makes sure libbcc finds kernel headers
# for the running kernel. Idempotent: a second run installs nothing and says so.
set -euo pipefail

usage="usage: install-deps.sh tools|tests"
[ $# -eq 1 ] || { echo "install-deps: $usage" >&2; exit 2; }

# Build and run: a compiler, CMake, libbcc and the libraries the tools link
# (libdw for source lines, inlined frames and debug files found by build ID;
# json-c to read saved reports back for --diff).
tool_packages=(build-essential cmake pkg-config libbpfcc-dev libelf-dev libdw-dev libcapstone-dev
  libjson-c-dev)
# Only the tests and benchmarks: the allocators and servers they trace (nginx
# and PostgreSQL keep a host busy for the host-wide and --children tests), the
# checkers of what the tools write (mandoc, xmllint, a browser, rpm), bpftool
# for what is left attached, clang's libFuzzer, and bcc's own tools, the
# benchmarks' baselines (memleak-bpfcc, stackcount-bpfcc: the tests never run
# them, whose uprobes clash with ours on the same library).
test_packages=(python3 bpftool util-linux mandoc libxml2-utils libjemalloc2 libjemalloc-dev
  libtcmalloc-minimal4 libmimalloc2.0 redis-server redis-tools nginx-light postgresql
  postgresql-client rpm chromium clang libclang-rt-14-dev bpfcc-tools)

case $1 in
  tools) packages=("${tool_packages[@]}") ;;
  tests) packages=("${tool_packages[@]}" "${test_packages[@]}") ;;
  *) echo "install-deps: unknown set '$1' ($usage)" >&2; exit 2 ;;
esac
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done

# npm comes with some Node.js builds (NodeSource's): install Debian's only if absent.
if [ "$1" = tests ] && ! command -v npm >/dev/null; then
  missing+=(npm)
fi

kernel=$(uname -r)
headers=/lib/modules/$kernel/build
if [ ! -e "$headers/Makefile" ]; then
  # The running kernel's own headers package, where Debian has one.
  if apt-cache show "linux-headers-$kernel" >/dev/null 2>&1; then
    missing+=("linux-headers-$kernel")
  else
    missing+=(linux-headers-amd64)
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
else
  echo "install-deps: all packages present"
fi

if [ ! -e "$headers/Makefile" ]; then
  # No headers package for this kernel (a custom or cloud kernel): libbcc
  # compiles uprobe and tracepoint programs fine against Debian's generic
  # headers, so point the kernel's build and source links at them.
  amd64=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
  common=${amd64%-amd64}-common
  if [ -z "$amd64" ] || [ ! -d "$common" ]; then
    echo "install-deps: no kernel headers for $kernel and no linux-headers-amd64 to fall back to" >&2
    exit 1
  fi
  mkdir -p "/lib/modules/$kernel"
  ln -sfn "$amd64" "/lib/modules/$kernel/build"
  ln -sfn "$common" "/lib/modules/$kernel/source"
  echo "install-deps: no headers package for kernel $kernel; linked /lib/modules/$kernel/build -> $amd64 and source -> $common"
fi

[ "$1" = tests ] || exit 0
# An independent flame graph tool from npm, which the tests feed our folded
# output: Joyent's stackvis, pinned, in the tree's .tools (not committed).
tools=$(cd "$(dirname "$0")/.." && pwd)/.tools
if [ ! -x "$tools/node_modules/.bin/stackvis" ]; then
  echo "install-deps: installing stackvis from npm into $tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error stackvis@0.5.0
fi

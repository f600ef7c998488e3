#!/usr/bin/env bash
# Installs on Debian 12, as root, what building and running the tools needs
# (`install-deps.sh tools`), or that and what only the tests and benchmarks
# need (`install-deps.sh tests`), with kernel headers. Idempotent: a second
# run installs nothing and says so.
set -euo pipefail

usage="usage: install-deps.sh tools|tests"
[ $# -eq 1 ] || { echo "install-deps: $usage" >&2; exit 2; }

# Build and run: a compiler, CMake, libbcc and the libraries the tools link
# (libdw for source lines, inlined frames and debug files found by build ID;
# protobuf-c and zlib for --pprof's profiles, json-c to read saved reports back
# for --diff).
tool_packages=(build-essential cmake pkg-config libbpfcc-dev libelf-dev libdw-dev libcapstone-dev
  libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libjson-c-dev)
# Only the tests and benchmarks: the allocators and servers they trace (nginx
# and PostgreSQL keep a host busy for the host-wide and --children tests), the
# checkers of what the tools write (mandoc, xmllint, a browser, rpm), bpftool
# for what is left attached, clang's libFuzzer, and bcc's own tools, the
# benchmarks' baselines (memleak-bpfcc, stackcount-bpfcc: the tests never run
# them, whose uprobes clash with ours on the same library), and Go for
# `go tool pprof`, the reader of --pprof's profiles.
test_packages=(python3 bpftool util-linux mandoc libxml2-utils libjemalloc2 libjemalloc-dev
  libtcmalloc-minimal4 libmimalloc2.0 redis-server redis-tools nginx-light postgresql
  postgresql-client rpm chromium clang libclang-rt-14-dev bpfcc-tools golang-go)

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

# Kernel headers: the running kernel's package where Debian has one, else
# Debian's generic headers. The tools find either by themselves (any kernel's
# headers compile their programs); nothing is linked into /lib/modules.
kernel=$(uname -r)
if [ ! -e "/lib/modules/$kernel/build/include/linux/kconfig.h" ] &&
   [ ! -e "/lib/modules/$kernel/source/include/linux/kconfig.h" ]; then
  if apt-cache show "linux-headers-$kernel" >/dev/null 2>&1; then
    missing+=("linux-headers-$kernel")
  elif ! ls -d /usr/src/linux-headers-*/include/generated >/dev/null 2>&1; then
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

[ "$1" = tests ] || exit 0
# An independent flame graph tool from npm, which the tests feed our folded
# output: Joyent's stackvis, pinned, in the tree's .tools (not committed).
tools=$(cd "$(dirname "$0")/.." && pwd)/.tools
if [ ! -x "$tools/node_modules/.bin/stackvis" ]; then
  echo "install-deps: installing stackvis from npm into $tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error stackvis@0.5.0
fi

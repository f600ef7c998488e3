#!/usr/bin/env bash
# Writes the source tarball memstacks.spec builds from,
# OUTDIR/memstacks-VERSION.tar.gz (OUTDIR: build/ by default), and prints its
# path. It holds what git tracks, as the working tree has it (uncommitted
# changes to tracked files included, so a change can be packaged before it is
# committed), under memstacks-VERSION/. The version is CMakeLists.txt's.
set -euo pipefail
cd "$(dirname "$0")/.."
outdir=$(realpath "${1:-build}")
version=$(sed -n 's/^project(memstacks VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "make-tarball: no version in CMakeLists.txt's project()" >&2; exit 1; }
spec_version=$(sed -n 's/^Version: *//p' memstacks.spec)
[ "$spec_version" = "$version" ] ||
  { echo "make-tarball: memstacks.spec says $spec_version, CMakeLists.txt $version (make them agree)" >&2; exit 1; }
mkdir -p "$outdir"
tarball=$outdir/memstacks-$version.tar.gz
# A commit of the working tree's tracked files, made without touching the index or HEAD.
tree=$(git stash create)
git archive --format=tar.gz --prefix="memstacks-$version/" -o "$tarball" "${tree:-HEAD}"
echo "$tarball"

#!/usr/bin/env bash
# Writes the seed corpora of tests/fuzz/corpus/: real maps, stat and status
# lines, frame names, tiny ELF objects (shared, executable, relocatable; with
# and without .symtab), and the first bytes of real allocators' code. Kept for
# the record: the seeds are committed, and regression inputs (regression_*)
# are added beside them by hand.
set -euo pipefail
corpus=$(cd "$(dirname "$0")" && pwd)/corpus
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# maps_line: kinds of mapping as the kernel prints them, paths the target chose.
n=0
while IFS= read -r line; do
  printf '%s\n' "$line" >"$corpus/maps_line/seed$((n++))"
done <<'LINES'
555fabd06000-555fabd0c000 r-xp 00002000 fe:00 247498                     /usr/bin/head
7f1c2a400000-7f1c2a426000 r--p 00000000 fe:00 262447                     /usr/lib/x86_64-linux-gnu/libc.so.6
7ffd1b7f2000-7ffd1b813000 rw-p 00000000 00:00 0                          [stack]
7f1c2a6b0000-7f1c2a6b2000 rw-p 00000000 00:00 0 
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
7f3a10001000-7f3a10002000 r-xp 00001000 fe:00 131090                     /tmp/dir with spaces/lib x.so
7f3a10001000-7f3a10002000 r-xp 00001000 fe:00 131091                     /tmp/new\012line/lib.so
7f3a10001000-7f3a10002000 r-xp 00001000 fe:00 131092                     /tmp/gone.so (deleted)
7f3a10001000-7f3a10002000 r-xs 00000000 00:01 1034                       /memfd:jit (deleted)
LINES

# proc_fields: stat with a command name holding ") R", status lines.
printf '19925 (cat) R 19921 19921 18020 0 -1 4194304 99 0 0 0\n' >"$corpus/proc_fields/stat"
printf '42 (a) R 1 2 3 4 5 0 (b) S 1 1 1 1 1 2097152\n' >"$corpus/proc_fields/stat_paren"
printf 'Tgid:\t19925\n' >"$corpus/proc_fields/tgid"
printf 'VmRSS:\t    1024 kB\n' >"$corpus/proc_fields/vmrss"

# json_string: frame names as C++ and UTF-8 make them, with characters JSON escapes.
printf 'operator new(unsigned long)' >"$corpus/json_string/cpp_name"
printf 'caf\xc3\xa9_\xe2\x82\xac_"quoted"\\\t' >"$corpus/json_string/utf8_and_escapes"

# untrusted_text: a C++ name, and one with every kind of unsafe character.
printf 'operator new(unsigned long)' >"$corpus/untrusted_text/cpp_name"
printf 'evil\x1b[2J<svg onload=x>&amp;;\\name\xff\xe2\x80\xae\xc2\x9b' >"$corpus/untrusted_text/hostile"

# elf: tiny objects, with no page padding so that every byte is a header or table.
cat >"$scratch/tiny.c" <<'C'
void *malloc(unsigned long size) { return (void *)size; }
void free(void *block) { (void)block; }
int leaf(int x) { return x * 3; }
int main(void) { return leaf(1); }
C
tiny="-Os -nostdlib -fno-asynchronous-unwind-tables -Wl,-z,noseparate-code -Wl,--build-id=none"
gcc $tiny -shared -fPIC "$scratch/tiny.c" -o "$corpus/elf/shared.so"
strip -o "$corpus/elf/shared_stripped.so" "$corpus/elf/shared.so"
gcc $tiny -fPIE -pie "$scratch/tiny.c" -o "$corpus/elf/pie_with_interp" -Wl,-e,main
gcc $tiny -static "$scratch/tiny.c" -o "$corpus/elf/static" -Wl,-e,main
strip -o "$corpus/elf/static_stripped" "$corpus/elf/static"
gcc -Os -c "$scratch/tiny.c" -o "$corpus/elf/relocatable.o"

# cfi_rows: tiny objects whose call-frame information is most of their bytes,
# in .eh_frame (with a frame pointer kept and not) and in .debug_frame.
cat >"$scratch/frames.c" <<'C'
long spill(long a, long b) { long v[4] = {a, b, a + b, a - b}; return v[a & 3] + spill(b, a); }
long vla(int n) { char buffer[n]; buffer[0] = 1; return buffer[n - 1] + spill(n, n); }
C
frames="-O2 -nostdlib -shared -fPIC -Wl,-z,noseparate-code -Wl,--build-id=none"
mkdir -p "$corpus/cfi_rows"
gcc $frames -fomit-frame-pointer "$scratch/frames.c" -o "$corpus/cfi_rows/eh_frame.so"
gcc $frames -fno-omit-frame-pointer "$scratch/frames.c" -o "$corpus/cfi_rows/frame_pointer.so"
gcc $frames -g -fno-asynchronous-unwind-tables "$scratch/frames.c" -o "$scratch/debug.so"
strip --strip-debug --keep-section=.debug_frame -o "$corpus/cfi_rows/debug_frame.so" "$scratch/debug.so"
cp "$corpus/elf/relocatable.o" "$corpus/cfi_rows/"

# probe_placement: settings bytes (every kind emulated, rdi kept), then code.
libc=$(gcc -print-file-name=libc.so.6)
for function in malloc free calloc realloc; do
  read -r address size < <(readelf -sW "$libc" |
    awk -v f="$function@@" 'index($8, f) == 1 { print $2, $3; exit }')
  # In glibc the text's file offset and address coincide.
  { printf '\xff\x0f\x01'
    dd if="$libc" iflag=skip_bytes,count_bytes skip=$((16#$address)) count="$size" status=none
  } >"$corpus/probe_placement/libc_$function"
done

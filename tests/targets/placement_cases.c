/*
 * probe_placement on hand-assembled function starts, with a kernel that
 * emulates push, jcc, jmp, call and nop: prints "NAME OFFSET REASON" per case,
 * for tests/test_placement.py. No BPF, no root: the placement rules alone.
 */
#include <stdio.h>
#include <string.h>

#include "bpf/probe_placement.h"

struct placement_case {
	const char *name;
	const char *code;	/* bytes, as a string literal of escapes */
	size_t size;
	unsigned preserved;
};

#define CASE(name, bytes, preserved) {name, bytes, sizeof(bytes) - 1, preserved}

static const struct placement_case cases[] = {
	/* glibc's free: test %rdi,%rdi; je; ... */
	CASE("test_then_je", "\x48\x85\xff\x74\x05\x90\x90\x90\x90\x90\xc3", PRESERVE_RDI),
	/* jemalloc's malloc: cmp $0x1000,%rdi; ja */
	CASE("cmp_then_ja", "\x48\x81\xff\x00\x10\x00\x00\x77\x01\x90\xc3", PRESERVE_RDI),
	CASE("push_at_entry", "\x53\x48\x89\xfb\x5b\xc3", PRESERVE_RDI),
	/* mov %rax,%rdi overwrites the argument the program reads */
	CASE("argument_written", "\x48\x89\xc7\x74\x01\x90\xc3", PRESERVE_RDI),
	/* the same write is harmless when the program does not read %rdi */
	CASE("other_register_written", "\x48\x89\xc7\x74\x01\x90\xc3", PRESERVE_RSI),
	/* sub $8,%rsp moves the return address away from [rsp] */
	CASE("stack_pointer_moved", "\x48\x83\xec\x08\x74\x01\x90\xc3", PRESERVE_RDI),
	/* mov %rsp,%rbp breaks the frame chain the stack walk follows */
	CASE("frame_pointer_written", "\x48\x89\xe5\x74\x01\x90\xc3", PRESERVE_RDI),
	/* mov %rdi,0x8(%rsp) writes the stack */
	CASE("stack_written", "\x48\x89\x7c\x24\x08\x74\x01\x90\xc3", PRESERVE_RDI),
	/* ret before any emulated instruction */
	CASE("return_first", "\x48\x85\xff\xc3", PRESERVE_RDI),
	/* test; je; then a jmp back to the je: the probe would fire twice */
	CASE("branch_back_into_prologue", "\x48\x85\xff\x74\x02\xeb\xfc\xc3", PRESERVE_RDI),
	/* reallocarray's start: mov %rsi,%rax; mul %rdx writes %rdx, which it reads */
	CASE("multiply_writes_argument", "\x48\x89\xf0\x48\xf7\xe2\x70\x01\x90\xc3",
	     PRESERVE_RDI | PRESERVE_RSI | PRESERVE_RDX),
};

int main(void)
{
	struct emulation emulation;
	size_t i;

	memset(&emulation, 0, sizeof(emulation));
	emulation.emulated[KIND_PUSH] = emulation.emulated[KIND_PUSH_REX] = true;
	emulation.emulated[KIND_JCC_SHORT] = emulation.emulated[KIND_JCC_NEAR] = true;
	emulation.emulated[KIND_JMP_SHORT] = emulation.emulated[KIND_JMP_NEAR] = true;
	emulation.emulated[KIND_CALL] = emulation.emulated[KIND_NOP] = true;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe_placement placement;

		if (probe_placement__choose(&emulation, (const uint8_t *)cases[i].code, cases[i].size,
					    0x1000, cases[i].preserved, &placement))
			return 1;
		printf("%s %llu %s\n", cases[i].name, (unsigned long long)placement.offset,
		       placement.reason);
	}
	return 0;
}

/*
 * Where to put a function's uprobe so that the kernel emulates the probed
 * instruction instead of single-stepping it: the first emulated instruction on
 * the straight-line path from the entry, if the instructions before it leave
 * alone what the BPF program reads there and the return address at [rsp].
 */
#ifndef PROBE_PLACEMENT_H
#define PROBE_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/instruction_kinds.h"

/* Registers the BPF program reads at the probe, besides %rsp and %rbp (always kept). */
enum preserved_register {
	PRESERVE_RDI = 1 << 0,
	PRESERVE_RSI = 1 << 1,
	PRESERVE_RDX = 1 << 2,
	PRESERVE_RCX = 1 << 3,
};

struct probe_placement {
	uint64_t offset;	/* from the function's entry */
	enum instruction_kind kind;	/* of the instruction there: what a hit costs */
	char reason[256];	/* what -v says */
};

/*
 * Chooses the probe's offset in the function whose `size` bytes of code are
 * `code`, at `address` (any address, for branch targets). The offset stays 0
 * when the entry is emulated, when no emulated instruction comes before a
 * branch or an instruction that writes %rsp, %rbp, a `preserved` register or
 * the stack, or when some branch of the function lands between the entry and
 * the candidate (the probe would fire twice). A NULL `emulation`
 * (--probe-at-entry) keeps the probe at the entry, and only says what
 * instruction is there, for what its hits cost. Returns 0, or -errno if the
 * disassembler cannot start.
 */
int probe_placement__choose(const struct emulation *emulation, const uint8_t *code, size_t size,
			    uint64_t address, unsigned preserved, struct probe_placement *placement);

/*
 * The same for the function of `size` bytes at `file_offset` in the ELF file
 * `path`, read from there. A function whose code cannot be read whole (size
 * unknown, over 256 KiB, unreadable) stays probed at its entry, and
 * `placement->reason` says why.
 */
void probe_placement__choose_in_file(const struct emulation *emulation, const char *path,
				     uint64_t file_offset, size_t size, uint64_t address,
				     unsigned preserved, struct probe_placement *placement);

#endif

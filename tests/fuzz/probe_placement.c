/*
 * An allocator's machine code, read from the file the target maps, decoded to
 * choose where its probe goes. Input: two bytes of emulated kinds, one of
 * registers to preserve, then the code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/instruction_kinds.h"
#include "bpf/probe_placement.h"

/* Where the function sits: branch targets are compared with it. */
#define FUNCTION_ADDRESS 0x401000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emulation emulation = {0};
	struct probe_placement placement;
	unsigned kinds, preserved;
	int kind;

	if (size < 3)
		return 0;
	kinds = data[0] | data[1] << 8;
	preserved = data[2] & 0xf;
	for (kind = 0; kind < INSTRUCTION_KINDS; kind++)
		emulation.emulated[kind] = kinds & 1u << kind;
	if (probe_placement__choose(&emulation, data + 3, size - 3, FUNCTION_ADDRESS, preserved,
				    &placement))
		abort();
	/* The contract: the probe stays inside the function, and -v has a reason to print. */
	if ((placement.offset && placement.offset >= size - 3) ||
	    !memchr(placement.reason, '\0', sizeof(placement.reason)) || !placement.reason[0])
		abort();
	return 0;
}

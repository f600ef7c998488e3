/*
 * An ELF object the target maps: its symbol tables and program headers are
 * the target's (or its builder's) to forge. The input is written to a memfd
 * (memfd_file.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "process/elf_functions.h"
#include "memfd_file.h"

/* Names the seeds define, besides allocator names as memstacks looks for them. */
static const char *const names[] = {"malloc", "free", "calloc", "_Znwm", "je_malloc",
				    "mallocx", "main", "leaf", "tiny_alloc"};
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = memfd_file__write(data, size);
	struct elf_function found[NAME_COUNT];
	char interpreter[256];
	size_t i;
	int count;

	count = elf_find_functions(path, names, NAME_COUNT, found);
	for (i = 0; count >= 0 && i < NAME_COUNT; i++)
		count -= found[i].found;
	/* The contract: the count returned is the number of entries marked found. */
	if (count > 0)
		abort();
	elf_interpreter(path, interpreter, sizeof(interpreter));
	return 0;
}

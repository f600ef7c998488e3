#include "process/user_address_space.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOUR_LEVEL_BYTES (1ULL << 47)
#define FIVE_LEVEL_BYTES (1ULL << 56)

/* Whether the "flags : ..." line of /proc/cpuinfo lists `flag`. */
static bool lists_flag(const char *line, const char *flag)
{
	size_t length = strlen(flag);
	const char *found;

	for (found = strstr(line, flag); found; found = strstr(found + 1, flag)) {
		char after = found[length];

		if (found > line && found[-1] == ' ' && (after == ' ' || after == '\n' || !after))
			return true;
	}
	return false;
}

/*
 * x86-64 gives user space 47 bits of addresses with 4-level page tables and 56
 * bits with 5-level ones, and the kernel lists the CPU flag la57 only when it
 * runs with 5-level tables (it clears the flag otherwise). Without the flags,
 * the larger space: a request between the two is then counted as made rather
 * than called impossible when it might not be.
 */
uint64_t user_address_space_bytes(void)
{
	FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
	uint64_t bytes = FIVE_LEVEL_BYTES;
	size_t capacity = 0;
	char *line = NULL;

	if (!cpuinfo)
		return bytes;
	while (getline(&line, &capacity, cpuinfo) > 0) {
		/* Every CPU has the same paging: the first flags line says it. */
		if (!strncmp(line, "flags", strlen("flags"))) {
			if (!lists_flag(line, "la57"))
				bytes = FOUR_LEVEL_BYTES;
			break;
		}
	}
	free(line);
	fclose(cpuinfo);
	return bytes;
}

/* One line of /proc/PID/maps: the path in it is whatever the target mapped. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "process/proc_maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Lines come from getline(): NUL-terminated, possibly with NULs inside. */
	char *line = malloc(size + 1);
	struct map_entry entry;

	memcpy(line, data, size);
	line[size] = '\0';
	if (map_entry__parse(line, &entry)) {
		/* The contract: the path is a string inside the line. */
		if (entry.path < line || entry.path > line + size ||
		    strlen(entry.path) > size - (size_t)(entry.path - line))
			abort();
		if (entry.end < entry.start)
			abort();
	}
	free(line);
	return 0;
}

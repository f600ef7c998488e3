#include "bpf/map_entries.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Entries read per call; a bucket holding more makes the kernel ask for room (ENOSPC). */
#define FIRST_BATCH 4096

static int grow(char **buffer, uint32_t count, size_t size)
{
	char *grown = reallocarray(*buffer, count, size);

	if (!grown)
		return -ENOMEM;
	*buffer = grown;
	return 0;
}

int map_entries__foreach(int fd, size_t key_size, size_t value_size, map_entry_fn visit,
			 void *context)
{
	uint32_t batch = FIRST_BATCH, count, cursor = 0, i;
	char *keys = NULL, *values = NULL;
	bool first = true, last = false;
	int err, result;

	err = grow(&keys, batch, key_size) ?: grow(&values, batch, value_size);
	while (!err && !last) {
		count = batch;
		result = bpf_lookup_batch(fd, first ? NULL : &cursor, &cursor, keys, values, &count);
		if (result < 0 && errno == ENOSPC) {
			batch *= 2;
			err = grow(&keys, batch, key_size) ?: grow(&values, batch, value_size);
			continue;
		}
		/* ENOENT: these are the last entries (maybe none). */
		if (result < 0 && errno != ENOENT) {
			err = -errno;
			break;
		}
		last = result < 0;
		first = false;
		for (i = 0; i < count && !err; i++)
			err = visit(keys + i * key_size, values + i * value_size, context);
	}
	free(keys);
	free(values);
	return err;
}

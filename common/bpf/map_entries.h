/*
 * Every entry of a BPF hash map, read while BPF programs go on changing it.
 * Walking it key by key (bpf_get_next_key) starts over from the first bucket
 * whenever the key last read is deleted meanwhile, and so returns entries
 * twice: traced host-wide beside processes that churn the heap, a target's
 * blocks were counted two and three times. A batch lookup walks bucket by
 * bucket instead, and returns each entry once.
 */
#ifndef MAP_ENTRIES_H
#define MAP_ENTRIES_H

#include <stddef.h>

/* One entry; a non-zero return stops the walk and is returned. */
typedef int (*map_entry_fn)(const void *key, const void *value, void *context);

/* Calls `visit` with each entry of the hash map `fd`: 0, its return, or -errno. */
int map_entries__foreach(int fd, size_t key_size, size_t value_size, map_entry_fn visit,
			 void *context);

#endif

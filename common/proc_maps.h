/* The memory mappings of a process, from /proc/PID/maps. */
#ifndef PROC_MAPS_H
#define PROC_MAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start;
	uint64_t end;
	uint64_t file_offset;
	bool executable;
	bool shared;		/* MAP_SHARED */
	const char *path;	/* as the kernel prints it; "" for anonymous memory */
};

/*
 * Parses one line of a maps file (without or with its newline). `path` points
 * into `line`, which must stay alive. Returns false for a malformed line.
 */
bool map_entry__parse(char *line, struct map_entry *entry);

typedef int (*map_entry_fn)(const struct map_entry *entry, void *context);

/*
 * Calls `fn` for every mapping of `pid` in address order; stops at the first
 * non-zero return and returns it. Returns -errno if the maps cannot be read.
 */
int proc_maps__foreach(pid_t pid, map_entry_fn fn, void *context);

#endif

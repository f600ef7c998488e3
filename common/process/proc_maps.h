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
	uint64_t inode;		/* of the mapped file; 0 for anonymous memory */
	bool executable;
	bool shared;		/* MAP_SHARED */
	const char *path;	/* as the kernel prints it; "" for anonymous memory */
};

/*
 * Writes to `file` a path at which we can open the file `entry` of `pid`
 * maps: its own path through /proc/PID/root, so that a process in another
 * mount namespace works too; or, when that path no longer leads to the mapped
 * file (deleted or replaced since, or a name the kernel escaped in maps: a
 * newline shows as \012), the mapping itself in /proc/PID/map_files (which
 * needs CAP_SYS_ADMIN). Returns false in the second case, where whatever
 * reads the file by its path (libbcc's symbols) cannot.
 */
bool map_entry__file_path(pid_t pid, const struct map_entry *entry, char *file, size_t size);

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

/*
 * memstacks' view of a target's allocators: which functions it probes, where
 * the target maps them (found by scanning the ELF symbols of every mapped
 * object), and attaching the BPF program to them.
 */
#ifndef ALLOCATORS_H
#define ALLOCATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf_program.h"
#include "memstacks.h"
#include "uprobes.h"

struct allocator_function {
	const char *symbol;
	const char *entry_program;	/* the BPF function run at its entry */
	bool is_free;			/* frees take no return probe and no -a probe */
};

/* One allocator function as the target maps it. */
struct allocator_site {
	const struct allocator_function *function;
	char *object;		/* path to attach to, through /proc/PID/root */
	uint64_t file_offset;
	uint64_t start;		/* its address range in the target */
	uint64_t end;
};

struct allocator_sites {
	struct allocator_site *items;
	size_t count;
	size_t capacity;
};

/* The name of the leaf frame for an allocation made through `fn`. */
const char *alloc_fn_name(enum alloc_fn fn);

/*
 * Adds the allocator functions of every object `pid` maps now, skipping those
 * already in `sites`; with `object` set, only objects whose path or file name
 * matches it (a path, a file name, or "c" for libc.so.6). Functions that share
 * an address (glibc's aligned_alloc is memalign) are one site, named by the
 * first in our table. Returns how many were added, or -errno.
 */
int allocator_sites__scan(struct allocator_sites *sites, pid_t pid, const char *object);

/* True if `address` lies inside one of the sites' functions. */
bool allocator_sites__contains(const struct allocator_sites *sites, uint64_t address);

void allocator_sites__free(struct allocator_sites *sites);

/*
 * Attaches `program` to sites [first, count) for `pid`: entry probes, plus a
 * return probe on each allocation unless `all_mode`. With `verbose`, says what
 * went where. Returns 0, or prints the reason and returns -errno.
 */
int allocator_sites__attach(const struct allocator_sites *sites, size_t first,
			    struct bpf_program *program, struct uprobe_set *probes, pid_t pid,
			    bool all_mode, bool verbose);

#endif

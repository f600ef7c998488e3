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

#include "bpf/bcc_module.h"
#include "bpf/instruction_kinds.h"
#include "bpf/uprobes.h"

struct allocator_function;

/* One allocator function as the target maps it. */
struct allocator_site {
	const struct allocator_function *function;
	const char *name;	/* what the leaf frame says: malloc, je_mallocx, operator new(unsigned long) */
	char *object;		/* path to attach to: /proc/PID/root/..., or /proc/PID/map_files/... */
	char *path;		/* the object's path as the target's maps give it */
	uint64_t inode;		/* the object's, from the maps: one file across processes */
	uint64_t file_offset;
	uint64_t probe_offset;	/* where its probes sit, from its entry */
	enum instruction_kind probe_kind;	/* of the instruction there: what a hit costs */
	char *placement;	/* why there, for -v */
	uint64_t start;		/* its address range in the target, while `mapped` */
	uint64_t end;
	bool mapped;		/* false once the image that mapped it was replaced by exec */
	bool attached;
};

/* Where an object's executable mapping was scanned: not scanned again there. */
struct scanned_mapping {
	char *path;
	uint64_t start;		/* 0 in sites shared by processes: an object is scanned once */
	uint64_t inode;
};

struct allocator_sites {
	struct allocator_site *items;
	size_t count;
	size_t capacity;
	struct scanned_mapping *scanned;
	size_t scanned_count;
	size_t scanned_capacity;
	/*
	 * The sites of every process of a set, for probes attached for every
	 * process: an object (path and inode) is one, wherever it is mapped.
	 * Addresses (start, end) are then those of the first process it was seen in.
	 */
	bool shared_by_processes;
};

/*
 * Adds the allocator functions of every object `pid` maps now and has not
 * been scanned at that address before; with `object` set, only objects whose
 * path or file name matches it (a path, a file name, or "c" for libc.so.6).
 * Functions that share an address (glibc's aligned_alloc is memalign) are one
 * site, named by the first in our table. Returns 0 or -errno.
 */
int allocator_sites__scan(struct allocator_sites *sites, pid_t pid, const char *object);

/*
 * Gives each site of `sites` the probe placement of the same function in
 * `attached` (sites shared by processes), so that the addresses the probes
 * report in this process name their function.
 */
void allocator_sites__copy_placements(struct allocator_sites *sites,
				      const struct allocator_sites *attached);

/* After an exec: no site is mapped any more until a scan finds it again. */
void allocator_sites__forget_mappings(struct allocator_sites *sites);

/* True if `address` lies inside one of the mapped sites' functions. */
bool allocator_sites__contains(const struct allocator_sites *sites, uint64_t address);

/* The leaf name of the function whose entry or probe is at `address`. */
const char *allocator_sites__name_at(const struct allocator_sites *sites, uint64_t address);

void allocator_sites__free(struct allocator_sites *sites);

/*
 * Attaches `program` for `pid` to every site not attached yet: entry probes,
 * plus a return probe on each allocation unless `all_mode` (which probes no
 * free). With `emulation`, each function's probes go on its first instruction
 * the kernel emulates, where that is safe (probe_placement.h); NULL keeps them
 * at the entries. With `verbose`, says object by object what was found and
 * attached, and function by function where. Returns 0, or prints the reason
 * and returns -errno.
 */
int allocator_sites__attach_new(struct allocator_sites *sites, struct bcc_module *program,
				struct uprobe_set *probes, pid_t pid, bool all_mode,
				const struct emulation *emulation, bool verbose);

#endif

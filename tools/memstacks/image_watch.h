/*
 * memstacks follows what its target maps: the allocators of the objects it
 * maps at start, those it loads later (dlopen), and those of a new program
 * after exec. common/image_follower tells of each change (and holds a -c
 * command there); this scans the new mappings and attaches to their
 * allocators.
 */
#ifndef IMAGE_WATCH_H
#define IMAGE_WATCH_H

#include <stdbool.h>

#include "allocators.h"
#include "trace/image_follower.h"
#include "trace/traced_set.h"
#include "bpf/instruction_kinds.h"

/* A member of a set: the sites its probes are attached for, or that name its frames. */
struct process_sites {
	pid_t pid;
	struct allocator_sites sites;
	unsigned naming_round;	/* the round of naming it was last scanned for */
};

struct image_watch {
	/*
	 * The one process's sites; or, when the probes are attached for every
	 * process, those of the whole set, one per object (shared_by_processes).
	 */
	struct allocator_sites sites;
	/* A set's members: their own probes (-p's list), or what names their frames. */
	struct process_sites *processes;
	size_t process_count;
	size_t process_capacity;
	const struct image_follower *follower;	/* the run's: program, probes, target */
	const struct traced_set *set;
	unsigned naming_round;	/* one more at each report or sample */
	size_t unreadable;	/* members whose maps could not be read, the first of them: */
	struct unreadable {
		pid_t pid;
		int error;
	} first_unreadable;
	const char *object;	/* -O: only this object's allocator */
	bool all_mode;
	bool probe_at_entry;	/* --probe-at-entry: no placement */
	bool verbose;
	struct emulation emulation;	/* what this kernel's uprobes emulate */
	bool calibrated;		/* `emulation` was measured */
};

/*
 * Times which instructions this kernel's uprobes emulate, so where the probes
 * will be placed (unless --probe-at-entry), and what each hit costs. 0 or
 * -errno after saying why.
 */
int image_watch__calibrate(struct image_watch *watch);

/*
 * The follower's work after an event, once it has read the new symbols and
 * unwind tables: after an exec, drop what the old program allocated (its
 * blocks, stacks and allocators are gone with it); then attach to the
 * allocators not seen before. 0 or -errno.
 */
int image_watch__follow(struct image_watch *watch, bool exec);

/*
 * Whether an allocator is attached: 0; for a -c command, -EAGAIN until it has
 * mapped one; else -ENOENT after saying why (`command_ended`: it exited first).
 */
int image_watch__check_ready(const struct image_watch *watch, bool command_ended);

/* Starts naming a report's stacks: each process's sites are read again, once. */
void image_watch__start_naming(struct image_watch *watch);

/*
 * The allocator sites of `pid` as it maps them now, which name the functions
 * its probes hit and tell calls made inside an allocator. A set's member is
 * scanned on first use in each round of naming; NULL only when out of memory.
 */
const struct allocator_sites *image_watch__sites_of(struct image_watch *watch, pid_t pid);

void image_watch__free(struct image_watch *watch);

#endif

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
#include "bpf/instruction_kinds.h"

struct image_watch {
	struct allocator_sites sites;
	const struct image_follower *follower;	/* the run's: program, probes, target */
	const char *object;	/* -O: only this object's allocator */
	bool all_mode;
	bool probe_at_entry;	/* --probe-at-entry: no placement */
	bool verbose;
	struct emulation emulation;	/* what this kernel's uprobes emulate */
};

/*
 * Times which instructions this kernel's uprobes emulate, where the probes
 * will be placed (unless --probe-at-entry). 0 or -errno after saying why.
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

void image_watch__free(struct image_watch *watch);

#endif

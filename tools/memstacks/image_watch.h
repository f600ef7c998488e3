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
#include "trace/instruction_kinds.h"

struct image_watch {
	struct allocator_sites sites;
	/* The caller sets its program, probes, target, symbolizer and unwind tables. */
	struct image_follower follower;
	const char *object;	/* -O: only this object's allocator */
	bool all_mode;
	bool probe_at_entry;	/* --probe-at-entry: no placement */
	bool verbose;
	struct emulation emulation;	/* what this kernel's uprobes emulate */
};

/*
 * Calibrates the probe placement, starts the follower, then attaches the
 * allocators the target maps: at once for -p; for -c, lets the command exec
 * and attaches where it stops, once it has mapped an allocator, leaving it
 * stopped (held) for the caller to continue. The trace hook is then
 * image_follower__on_wake on `follower`. Prints the reason and returns
 * -errno on failure.
 */
int image_watch__start(struct image_watch *watch);

void image_watch__free(struct image_watch *watch);

#endif

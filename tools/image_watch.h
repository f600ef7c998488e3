/*
 * memstacks follows what its target maps: the allocators of the objects it
 * maps at start, those it loads later (dlopen), and those of a new program
 * after exec. A BPF probe on the dynamic loader's _dl_debug_state and the
 * sched_process_exec tracepoint count these events (and stop a -c command at
 * each); the frontend then scans the new mappings and attaches to them.
 */
#ifndef IMAGE_WATCH_H
#define IMAGE_WATCH_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "allocators.h"
#include "bpf_program.h"
#include "instruction_kinds.h"
#include "memstacks.h"
#include "symbolizer.h"
#include "target.h"
#include "unwind_tables.h"
#include "uprobes.h"

struct image_watch {
	struct allocator_sites sites;
	struct bpf_program *program;
	struct uprobe_set *probes;
	struct target *target;
	struct symbolizer *symbolizer;	/* refreshed as the mappings change */
	struct unwind_tables *unwind;	/* so are the unwind tables */
	const char *object;	/* -O: only this object's allocator */
	bool all_mode;
	bool probe_at_entry;	/* --probe-at-entry: no placement */
	bool verbose;
	struct emulation emulation;	/* what this kernel's uprobes emulate */
	uint64_t seen_events[IMAGE_EVENTS];
	char loader[PATH_MAX + 32];	/* the dynamic loader probed, or "" */
};

/*
 * Attaches the event probes, then the allocators the target maps: at once
 * for -p; for -c, lets the command exec and attaches where it stops, once it
 * has mapped an allocator, leaving it stopped (held) for the caller to
 * continue. Prints the reason and returns -errno on failure.
 */
int image_watch__start(struct image_watch *watch);

/*
 * For trace_session's hook: follows the events since the last call, attaching
 * to new allocators and, after an exec, dropping what the old program
 * allocated (its blocks, stacks and functions are gone with it).
 */
int image_watch__on_wake(void *watch);

void image_watch__free(struct image_watch *watch);

#endif

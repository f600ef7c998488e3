/*
 * Turning user stacks captured by BPF into frame names: a function's name,
 * with the functions inlined at the address as frames of their own, or
 * where no symbol covers it the object and file offset (`postgres+0x2a1b3c`),
 * so that distinct sites stay distinct and can be symbolized later.
 */
#ifndef SYMBOLIZER_H
#define SYMBOLIZER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "process/frame_origins.h"
#include "process/object_files.h"
#include "user_stacks.h"

#define MAX_STACK_DEPTH USER_STACK_FRAMES

/* A frame name for an address outside every mapping (or of a process gone). */
#define UNKNOWN_FRAME "[unknown]"
/* After an inlined function's name: it is no call of its own. */
#define INLINED_MARK " (inlined)"
/* The frame shown when the BPF program could not store a stack. */
#define MISSED_STACK_FRAME "[Missed User Stack]"

/* A frame name longer than this is cut: C++ names can be kilobytes. */
#define FRAME_NAME_SIZE 512

/* Names one stack can have: an inlined call adds one; past this, inlined calls are left out. */
#define MAX_NAMED_FRAMES (2 * (MAX_STACK_DEPTH + 1))

/* One stack's frame names, root first, with room for a tool's extra frames. */
struct frame_names {
	char names[MAX_NAMED_FRAMES][FRAME_NAME_SIZE];
	const char *frames[MAX_NAMED_FRAMES + 2];
	size_t depth;
};

/* Puts MISSED_STACK_FRAME at the root: the stack above what is known was lost. */
void frame_names__mark_missed(struct frame_names *names);

/* Adds a frame at the leaf end, such as the allocator function called. */
void frame_names__append(struct frame_names *names, const char *frame);

/* What the symbolizers of one trace share. */
struct frame_naming {
	struct frame_origins *origins;	/* each name's origin and site */
	struct object_files *objects;	/* the ELF objects read, for build IDs and lines */
	bool lines;			/* --lines: a name ends in its file:line, where known */
};

/* Creates what it holds: 0 or -ENOMEM. With `verbose`, objects say where their names come from. */
int frame_naming__init(struct frame_naming *naming, bool lines, bool verbose);
void frame_naming__free(struct frame_naming *naming);

struct symbolizer;

/*
 * A symbol cache for `pid`; it reads the maps now, so create it while the
 * target lives. `naming` must outlive it.
 */
struct symbolizer *symbolizer__new(pid_t pid, const struct frame_naming *naming);

/* Free it only after every uprobe is detached (see symbolizer.c). Accepts NULL. */
void symbolizer__free(struct symbolizer *symbolizer);

/*
 * Re-reads the target's maps, for libraries mapped since creation, laid over
 * those read before: a mapping gone since still names its frames (a process
 * exiting, a library unloaded) unless something new took its place.
 */
void symbolizer__refresh(struct symbolizer *symbolizer);

/*
 * Names `addresses` (leaf first, at most MAX_STACK_DEPTH + 1) into `names`,
 * root first, and records each name's origin and site. A function is named
 * by its demangled symbol (no module, no offset: one function is one
 * flame-graph box). Every address but the leaf is a return address, looked
 * up at its call; so is the leaf when `leaf_returns` (a caller's address,
 * not the instruction running). A NULL symbolizer (a process gone before its
 * symbols were read) names every frame UNKNOWN_FRAME.
 */
void symbolizer__name_stack(struct symbolizer *symbolizer, const uint64_t *addresses,
			    size_t depth, bool leaf_returns, struct frame_names *names);

/*
 * Reads stack `stack` from the BPF map of user stacks `map_fd` into
 * `addresses`, leaf first. Returns the number of frames, 0 when the stack is
 * MISSED_STACK or absent.
 */
size_t stack_map__read(int map_fd, uint64_t stack, uint64_t addresses[MAX_STACK_DEPTH]);

#endif

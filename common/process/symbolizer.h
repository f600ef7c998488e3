/* Turning user stacks captured by BPF into function names. */
#ifndef SYMBOLIZER_H
#define SYMBOLIZER_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "process/frame_origins.h"
#include "user_stacks.h"

#define MAX_STACK_DEPTH USER_STACK_FRAMES

/* A frame name when no symbol covers the address. */
#define UNKNOWN_FRAME "[unknown]"
/* The frame shown when the BPF program could not store a stack. */
#define MISSED_STACK_FRAME "[Missed User Stack]"

/* A frame name longer than this is cut: C++ names can be kilobytes. */
#define FRAME_NAME_SIZE 512

/* One stack's frame names, root first, with room for a tool's extra frames. */
struct frame_names {
	char names[MAX_STACK_DEPTH + 1][FRAME_NAME_SIZE];
	const char *frames[MAX_STACK_DEPTH + 3];
	size_t depth;
};

/* Puts MISSED_STACK_FRAME at the root: the stack above what is known was lost. */
void frame_names__mark_missed(struct frame_names *names);

/* Adds a frame at the leaf end, such as the allocator function called. */
void frame_names__append(struct frame_names *names, const char *frame);

struct symbolizer;

/*
 * A symbol cache for `pid`; it reads the maps now, so create it while the
 * target lives. The origins of its names go to `shared_origins` (those of a
 * set of processes, freed by their owner), or to its own when NULL.
 */
struct symbolizer *symbolizer__new(pid_t pid, struct frame_origins *shared_origins);

/* Free it only after every uprobe is detached (see symbolizer.c). Accepts NULL. */
void symbolizer__free(struct symbolizer *symbolizer);

/*
 * Where the names returned so far come from (program or library), for flame
 * graph colours; callers may add their own (memstacks' allocator leaves).
 */
struct frame_origins *symbolizer__origins(struct symbolizer *symbolizer);


/* Re-reads the target's maps, for libraries mapped since creation. */
void symbolizer__refresh(struct symbolizer *symbolizer);

/*
 * The demangled function name covering `address` copied into `name` (no
 * module, no offset: one function is one flame-graph box), or UNKNOWN_FRAME
 * (always, for a NULL symbolizer: a process gone before its symbols were read).
 */
const char *symbolizer__name(struct symbolizer *symbolizer, uint64_t address, char *name,
			     size_t size);

/* Names `addresses` (leaf first, at most MAX_STACK_DEPTH + 1) into `names`, root first. */
void symbolizer__name_stack(struct symbolizer *symbolizer, const uint64_t *addresses,
			    size_t depth, struct frame_names *names);

/*
 * Reads stack `stack` from the BPF map of user stacks `map_fd` into
 * `addresses`, leaf first. Returns the number of frames, 0 when the stack is
 * MISSED_STACK or absent.
 */
size_t stack_map__read(int map_fd, uint64_t stack, uint64_t addresses[MAX_STACK_DEPTH]);

#endif

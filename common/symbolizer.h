/* Turning user stacks captured by BPF into function names. */
#ifndef SYMBOLIZER_H
#define SYMBOLIZER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's limit on a stack map entry (PERF_MAX_STACK_DEPTH). */
#define MAX_STACK_DEPTH 127

/* A frame name when no symbol covers the address. */
#define UNKNOWN_FRAME "[unknown]"
/* The frame shown when the BPF program could not store a stack. */
#define MISSED_STACK_FRAME "[Missed User Stack]"

struct symbolizer;

/* A symbol cache for `pid`; it reads the maps now, so create it while the target lives. */
struct symbolizer *symbolizer__new(pid_t pid);
void symbolizer__free(struct symbolizer *symbolizer);

/* Re-reads the target's maps, for libraries mapped since creation. */
void symbolizer__refresh(struct symbolizer *symbolizer);

/*
 * The demangled function name covering `address` copied into `name` (no
 * module, no offset: one function is one flame-graph box), or UNKNOWN_FRAME.
 */
const char *symbolizer__name(struct symbolizer *symbolizer, uint64_t address, char *name,
			     size_t size);

/*
 * Reads stack `stack_id` from the BPF stack map `map_fd` into `addresses`,
 * leaf first. Returns the number of frames, 0 when the stack is absent.
 */
size_t stack_map__read(int map_fd, int stack_id, uint64_t addresses[MAX_STACK_DEPTH]);

#endif

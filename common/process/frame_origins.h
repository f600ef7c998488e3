/*
 * Where each frame name's code comes from, for colouring flame graphs: the
 * target's own program, a shared library, or the allocator (memstacks' leaf
 * frames). Kept by name, since reports merge frames by name.
 */
#ifndef FRAME_ORIGINS_H
#define FRAME_ORIGINS_H

enum frame_origin {
	ORIGIN_UNKNOWN,
	ORIGIN_PROGRAM,
	ORIGIN_LIBRARY,
	ORIGIN_ALLOCATOR,	/* outranks the others: set last, kept */
};

struct frame_origins;

struct frame_origins *frame_origins__new(void);

/* Accepts NULL. */
void frame_origins__free(struct frame_origins *origins);

/* Records `name`'s origin; an allocator name stays one. Returns 0 or -ENOMEM. */
int frame_origins__set(struct frame_origins *origins, const char *name, enum frame_origin origin);

/* ORIGIN_UNKNOWN for a name never set, or for NULL `origins`. */
enum frame_origin frame_origins__get(const struct frame_origins *origins, const char *name);

/* "program", "library", "allocator", "unknown". */
const char *frame_origin_name(enum frame_origin origin);

#endif

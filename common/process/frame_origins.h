/*
 * Where each frame name's code comes from: the target's own program, a shared
 * library, or the allocator (memstacks' leaf frames), for colouring flame
 * graphs; and the site of the code, its object and place in it, for pprof and
 * for symbolizing later. Kept by name, since reports merge frames by name.
 */
#ifndef FRAME_ORIGINS_H
#define FRAME_ORIGINS_H

#include <stdbool.h>
#include <stdint.h>

enum frame_origin {
	ORIGIN_UNKNOWN,
	ORIGIN_PROGRAM,
	ORIGIN_LIBRARY,
	ORIGIN_ALLOCATOR,	/* outranks the others: set last, kept */
};

/*
 * Where a frame's code is: the mapping of an ELF object holding the address
 * (first seen under its name) and, where DWARF says, its source line. For a
 * name whose addresses disagree on the line (one function, several call
 * sites, merged by name), the line is not known and `source_file` is NULL.
 */
struct frame_site {
	const char *object;		/* the mapped file's path as the process sees it */
	const char *build_id;		/* lower-case hex, NULL when the object has none */
	uint64_t address;		/* in the process */
	uint64_t file_offset;		/* of `address` in `object`, as perf and addr2line use it */
	uint64_t map_start;		/* the mapping holding `address` */
	uint64_t map_end;
	uint64_t map_file_offset;
	const char *function;		/* the function's own name: the frame's, less any mark */
	const char *source_file;	/* as DWARF names it; NULL when not known */
	unsigned int line;
	bool inlined;			/* a call inlined into the function of the frame above */
	bool returns;			/* `address` is a return address: the call is just before */
};

struct frame_origins;

struct frame_origins *frame_origins__new(void);

/* Accepts NULL. */
void frame_origins__free(struct frame_origins *origins);

/* Records `name`'s origin; an allocator name stays one. Returns 0 or -ENOMEM. */
int frame_origins__set(struct frame_origins *origins, const char *name, enum frame_origin origin);

/* ORIGIN_UNKNOWN for a name never set, or for NULL `origins`. */
enum frame_origin frame_origins__get(const struct frame_origins *origins, const char *name);

/*
 * Records the site of the code named `name`, the first for a name (a copy);
 * a later one with another source line makes the line unknown. Returns 0 or
 * -ENOMEM.
 */
int frame_origins__set_site(struct frame_origins *origins, const char *name,
			    const struct frame_site *site);

/* The site recorded for `name`, or NULL (none recorded, or NULL `origins`). */
const struct frame_site *frame_origins__site(const struct frame_origins *origins,
					     const char *name);

/* "program", "library", "allocator", "unknown". */
const char *frame_origin_name(enum frame_origin origin);

#endif

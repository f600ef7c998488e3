/*
 * The ELF objects a trace's stacks fall in, each opened once through
 * elfutils' libdw: its build ID, where its function names come from (its own
 * .symtab, a debug file found by build ID or .gnu_debuglink under
 * /usr/lib/debug, or only what it exports), and its DWARF line tables, for
 * the source lines and inlined calls of an address. bcc's symbol cache gives
 * names only.
 */
#ifndef OBJECT_FILES_H
#define OBJECT_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The functions object_file__source_frames gives at most for one address. */
#define MAX_SOURCE_FRAMES 16

/* One function at an address: the code's own, or one inlined into it. */
struct source_frame {
	const char *function;	/* an inlined function's name; NULL for the outermost */
	const char *file;	/* as DWARF names it; NULL when there are no lines */
	unsigned int line;
};

struct object_files;
struct object_file;

/* With `verbose`, -v's line on where each object's names come from, as it is opened. */
struct object_files *object_files__new(bool verbose);

/* Accepts NULL. */
void object_files__free(struct object_files *files);

/*
 * The object mapped under `name` (its path as the process's maps print it),
 * read from `path` (a path we can open it at). NULL when it cannot be read:
 * no build ID and no lines, then.
 */
struct object_file *object_files__get(struct object_files *files, const char *name,
				      const char *path);

/* Its GNU build ID in lower-case hex, or NULL when it has none. */
const char *object_file__build_id(const struct object_file *object);

/*
 * The name of the function whose code is at `file_offset`, from the symbols
 * libdw finds (the object's own or its debug file's); NULL when none covers
 * it. The names stay readable after the process is gone, where bcc's lazy
 * symbol cache reads files through /proc/PID/root.
 */
const char *object_file__function(struct object_file *object, uint64_t file_offset);

/*
 * The functions at `file_offset` in the object, innermost first: inlined
 * calls, each with the line it is at, then the outermost function (NULL
 * name: its symbol names it) with the line of its call into the first. At
 * most `max`; 0 when DWARF has nothing for the address. For a return
 * address, pass the offset of the call's last byte. Inlining deeper than
 * `max` loses the calls next to the outermost.
 */
size_t object_file__source_frames(struct object_file *object, uint64_t file_offset,
				  struct source_frame *frames, size_t max);

#endif

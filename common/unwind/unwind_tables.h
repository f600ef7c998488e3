/*
 * The unwind tables of a set of traced processes: for each object they map
 * executable, the compact rows its call-frame information gives
 * (cfi_rows.h), loaded once into the BPF program's maps however many
 * processes map it; and for each process its mapping set, where its objects
 * lie (bpf_src/cfi_walk.h). A set is read again when the walk meets a
 * process without one, or an address none of its mappings holds (a library
 * loaded since).
 */
#ifndef UNWIND_TABLES_H
#define UNWIND_TABLES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bpf/bcc_module.h"
#include "report/json_writer.h"

/* --unwind: how the stack walk finds each caller. */
enum unwind_mode {
	UNWIND_AUTO,		/* tables for objects built without frame pointers */
	UNWIND_FRAME_POINTERS,	/* frame pointers only: no tables */
	UNWIND_CFI,		/* tables for every object that has CFI */
};

/* "auto", "fp", "cfi" */
const char *unwind_mode__name(enum unwind_mode mode);
/* Parses a --unwind value; false if it is none of the names. */
bool unwind_mode__parse(const char *text, enum unwind_mode *mode);

struct unwind_tables;

/* Tables for no process yet; NULL when out of memory. */
struct unwind_tables *unwind_tables__new(enum unwind_mode mode, bool verbose);
void unwind_tables__free(struct unwind_tables *tables);

/*
 * Adds a process to trace: reads the CFI of every object it maps executable,
 * as the mode asks, or none yet unless `mapped` (a -c child that has not
 * exec'd maps the tool's own objects). Before unwind_tables__load, only reads
 * (the objects read size the maps); after, writes its rows and mapping set.
 * A process whose maps cannot be read (gone already) is kept without a set:
 * not an error, its end is reported where it is traced. An object whose CFI
 * cannot be read is walked by frame pointers, and -v says why. 0 or -ENOMEM;
 * after the load, also -errno of reading its maps or of a map update. Adding
 * a process again refreshes it.
 */
int unwind_tables__add_process(struct unwind_tables *tables, pid_t pid, bool mapped);

/*
 * Reads the maps of a process again, after an exec or its loader's events,
 * and writes the objects it mapped since and its new mapping set; a process
 * not added yet is added. 0 or -errno; on failure its old set stays.
 */
int unwind_tables__refresh_process(struct unwind_tables *tables, pid_t pid);

/* Drops the mapping set of a process that exited; its objects' rows stay for the others. */
void unwind_tables__forget_process(struct unwind_tables *tables, pid_t pid);

/*
 * The sizes of the row map and of the page index, -D UNWIND_ROWS and
 * UNWIND_PAGES: room for the tables read now and for objects mapped later,
 * more when `images_to_come` (a command not yet exec'd, a set that grows); 0
 * when the walk follows frame pointers only. And UNWIND_PROCESSES, how many
 * processes have a mapping set; unwind_tables__load fills the maps so sized.
 * 0 or -errno.
 */
int unwind_tables__add_defines(struct unwind_tables *tables, bool images_to_come,
			       struct bpf_defines *defines);

/*
 * Writes the rows and the mapping sets of the processes added so far (those
 * mapped) into the compiled program's maps. 0 or -errno.
 */
int unwind_tables__load(struct unwind_tables *tables, struct bcc_module *program);

/*
 * trace_hook's on_wake (`context` is the tables): reads the maps of the
 * processes the walk noted (without a set, or at an address outside their
 * mappings) and writes their sets. At most once a second; always 0 (a failed
 * refresh leaves the old set, and those frames to the frame pointer).
 */
int unwind_tables__on_wake(void *context);

/*
 * "; unwinding: ..." for the summary: mode, table memory, processes, frames
 * walked each way, and what the maps had no room for.
 */
void unwind_tables__print(const struct unwind_tables *tables, FILE *out);

/*
 * "unwinding":{mode, table_rows, table_bytes, map_bytes, processes,
 * frames_by_*, unmapped_addresses, stacks_without_set, objects_without_room,
 * processes_without_room, processes_with_mappings_cut, objects}
 */
void unwind_tables__write_json(const struct unwind_tables *tables, struct json_writer *writer);

#endif

/*
 * The unwind tables of a traced process: for each object it maps executable,
 * the compact rows its call-frame information gives (cfi_rows.h), loaded into
 * the BPF program's maps for the stack walk (bpf_src/cfi_walk.h). Built once
 * per object, and refreshed when the walk meets an address no known mapping
 * holds (a library loaded since).
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

/*
 * Reads the CFI of every object `pid` maps executable, as `mode` asks, or
 * none yet unless `mapped` (a -c child that has not exec'd maps the tool's
 * own objects). NULL only when out of memory; an object whose CFI cannot be
 * read is walked by frame pointers, and -v says why.
 */
struct unwind_tables *unwind_tables__new(pid_t pid, enum unwind_mode mode, bool mapped,
					 bool verbose);
void unwind_tables__free(struct unwind_tables *tables);

/*
 * The sizes of the row map and of the page index, -D UNWIND_ROWS and
 * UNWIND_PAGES: room for the tables read now and for objects mapped later; 0
 * when the walk follows frame pointers only. 0 or -errno.
 */
int unwind_tables__add_defines(const struct unwind_tables *tables, struct bpf_defines *defines);

/* Writes the rows and mappings into the compiled program's maps. 0 or -errno. */
int unwind_tables__load(struct unwind_tables *tables, struct bcc_module *program);

/*
 * Reads the maps again and adds the objects mapped since (after an exec, or
 * the loader's events). 0 or -errno; on failure the old tables stay.
 */
int unwind_tables__refresh(struct unwind_tables *tables);

/*
 * trace_hook's on_wake (`context` is the tables): when the walk has met
 * addresses outside every known mapping, reads the maps again and adds the
 * new objects. At most once a second; always 0 (a failed refresh leaves the
 * old tables, and those frames to the frame pointer).
 */
int unwind_tables__on_wake(void *context);

/* "; unwinding: ..." for the summary: mode, table memory, frames walked each way. */
void unwind_tables__print(const struct unwind_tables *tables, FILE *out);

/* "unwinding":{mode, objects, rows, table_bytes, map_bytes, frames_by_*} */
void unwind_tables__write_json(const struct unwind_tables *tables, struct json_writer *writer);

#endif

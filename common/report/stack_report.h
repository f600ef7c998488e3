/*
 * Values per call stack (bytes, pages), merged by function names and written
 * as a text report, folded stacks or JSON. One writer for every tool.
 */
#ifndef STACK_REPORT_H
#define STACK_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "process/frame_origins.h"
#include "report/json_writer.h"

/*
 * How a stack's figure moved over the intervals of -i, as the writers show
 * it: one value per interval and the name of the class they fall in.
 * stack_trends.h works these out; a report only carries and writes them.
 */
struct stack_series {
	const uint64_t *values;
	size_t length;
	const char *class_name;
};

/*
 * The process a stack belongs to, when a report covers several. The comm is
 * as the process set it (never NULL: "[unknown]" when it could not be read),
 * so it is written through untrusted_text, like frames.
 */
struct stack_owner {
	int pid;
	const char *comm;
};

struct stack_entry {
	/* Its process (the report's own copy), or NULL in a report of one process. */
	const struct stack_owner *owner;
	char **frames;		/* root first */
	size_t depth;
	uint64_t value;		/* in the report's unit */
	uint64_t count;		/* events behind the value (allocations, faults) */
	const struct stack_series *series;	/* -i: its series and class, else NULL */
};

struct stack_report;

/*
 * `unit` names the value ("bytes", "pages"), `count_name` the events behind it
 * ("allocations"), or NULL when the value is itself a count of events.
 */
struct stack_report *stack_report__new(const char *unit, const char *count_name);
void stack_report__free(struct stack_report *report);

/*
 * Adds value and count to the stack `frames` (root first), merging with an
 * equal stack added before. Returns 0 or -ENOMEM.
 */
int stack_report__add(struct stack_report *report, const char *const frames[], size_t depth,
		      uint64_t value, uint64_t count);

/*
 * The same for a stack of the process `owner` (NULL: of no process in
 * particular, as stack_report__add): stacks merge only within one pid. The
 * report keeps its own copy of the owner, the comm a pid first came with.
 */
int stack_report__add_owned(struct stack_report *report, const struct stack_owner *owner,
			    const char *const frames[], size_t depth, uint64_t value,
			    uint64_t count);

/*
 * For a report whose value is each stack's largest event (the largest failed
 * request) and whose count is its events: adds `count` events to the stack
 * `frames`, the largest of them `value`. Merging keeps the larger value, and
 * the report's total value is the largest of all. A report takes either this
 * or stack_report__add, never both. Returns 0 or -ENOMEM.
 */
int stack_report__add_largest(struct stack_report *report, const char *const frames[],
			      size_t depth, uint64_t value, uint64_t count);
int stack_report__add_largest_owned(struct stack_report *report, const struct stack_owner *owner,
				    const char *const frames[], size_t depth, uint64_t value,
				    uint64_t count);

/* Orders the stacks by value, largest first (then by frames and pid, for stable output). */
void stack_report__sort(struct stack_report *report);

size_t stack_report__length(const struct stack_report *report);
/* What the values count: the `unit` given to stack_report__new. */
const char *stack_report__unit(const struct stack_report *report);
/* What the counts count: the `count_name` given to stack_report__new, or NULL. */
const char *stack_report__count_name(const struct stack_report *report);
/* The index of the stack `frames` (root first) of `owner` (or NULL), or -1 if the report has none. */
long stack_report__index_of(const struct stack_report *report, const struct stack_owner *owner,
			    const char *const frames[], size_t depth);
/* Attaches a series, which must outlive the report's writers, to the stack at `index`. */
void stack_report__set_series(struct stack_report *report, size_t index,
			      const struct stack_series *series);
const struct stack_entry *stack_report__entry(const struct stack_report *report, size_t index);
uint64_t stack_report__total_value(const struct stack_report *report);
uint64_t stack_report__total_count(const struct stack_report *report);

/* The frames of one stack, leaf first, a line each under the text report's heading line. */
void stack_entry__write_frames(const struct stack_entry *entry, FILE *out);

/*
 * The `top` largest stacks, leaf first, as BCC's tools print them, with their
 * series' class when they have one, and under an owned stack's frames its
 * process, "-  comm (pid)"; 0 means all. Names are escaped as untrusted_text
 * says.
 */
void stack_report__write_text(const struct stack_report *report, FILE *out, size_t top);

/*
 * The `top` largest stacks on a line each, "value unit  leaf <- caller <- ..."
 * with at most `frames` frames, an owned stack's line begun by "comm[pid] ":
 * the interval lines of -i. Names are escaped.
 */
void stack_report__write_brief(const struct stack_report *report, FILE *out, size_t top,
			       size_t frames);

/*
 * One line per stack, "comm;root;...;leaf value": flamegraph.pl's input. The
 * comm is the owner's for an owned stack, else `comm` (NULL: the line starts
 * at the root frame). Names are escaped as untrusted_text says, and a ';' in
 * one as \x3b.
 */
void stack_report__write_folded(const struct stack_report *report, FILE *out, const char *comm);

/*
 * One folded stack's "comm;root;...;leaf", without its value(s), as
 * stack_report__write_folded writes it: for other folded files (--diff's).
 */
void folded_stack__write(FILE *out, const char *comm, const char *const *frames, size_t depth);

/*
 * "stacks":[{["pid":N,"comm":"…",]"frames":[...],"sites":[...],"<unit>":N,
 * "<count_name>":N[,"class":…,"series":[…]]}, ...], pid and comm for an
 * owned stack. "sites" has, frame by frame, where `origins` places its code
 * ({"object","build_id","offset","address"[,"function"][,"file","line"]
 * [,"inlined"]}), or null; without `origins` there is no "sites".
 */
void stack_report__write_json(const struct stack_report *report,
			      const struct frame_origins *origins, struct json_writer *writer);

#endif

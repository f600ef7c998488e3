/*
 * A trace of several processes, one line each: what the stacks attribute to
 * it, how its RSS moved over the same time, whether it exited. Set beside
 * each other, they show which process grew and whether the stacks explain it.
 */
#ifndef PROCESS_TOTALS_H
#define PROCESS_TOTALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/json_writer.h"
#include "report/stack_report.h"

/* Unknown RSS: never read, or the process was gone when it was. */
#define RSS_UNKNOWN (-1L)

struct process_total {
	int pid;
	const char *comm;	/* as the process set it: written through untrusted_text */
	uint64_t value;		/* attributed by its stacks, in the report's unit */
	uint64_t count;		/* the events behind the value */
	long rss_start_kb;	/* or RSS_UNKNOWN */
	long rss_end_kb;	/* or RSS_UNKNOWN */
	bool exited;		/* during the trace */
};

struct process_totals;

/*
 * The processes of the owned stacks of `report` (a report of sums,
 * stack_report__add_owned), each with the sum of its stacks, their RSS
 * unknown. Unowned stacks are left out. NULL without memory.
 */
struct process_totals *process_totals__from_report(const struct stack_report *report);
void process_totals__free(struct process_totals *totals);

/*
 * The RSS of `process` when the trace began and ended (RSS_UNKNOWN for
 * either), adding the process with nothing attributed if it has no stack.
 * Returns 0 or -ENOMEM.
 */
int process_totals__set_rss(struct process_totals *totals, const struct stack_owner *process,
			    long start_kb, long end_kb);

/* Notes that `process` exited during the trace, adding it as set_rss does. 0 or -ENOMEM. */
int process_totals__set_exited(struct process_totals *totals, const struct stack_owner *process);

/* The processes, largest attributed value first (then by pid). */
size_t process_totals__length(const struct process_totals *totals);
const struct process_total *process_totals__entry(const struct process_totals *totals,
						  size_t index);

/* How much the RSS grew (or shrank) over the trace, in *growth_kb; false when unknown. */
bool process_total__rss_growth_kb(const struct process_total *total, long *growth_kb);

/*
 * A table, a row per process:
 *       PID        BYTES  ALLOCATIONS  RSS-GROWTH  COMM
 *      1234      1048576           12    +2048 kB  redis-server
 * the unit's and count's columns named by the report's words (no count
 * column without one), "exited" or "unknown" where RSS growth is not known,
 * the comm last, escaped, since its width is the process's to choose.
 */
void process_totals__write_text(const struct process_totals *totals, FILE *out);

/*
 * "processes":[{"pid":N,"comm":"…","<unit>":N,"<count_name>":N,
 * "rss_growth_kb":N or null,"exited":bool}, ...]
 */
void process_totals__write_json(const struct process_totals *totals, struct json_writer *writer);

#endif

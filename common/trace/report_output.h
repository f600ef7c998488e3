/* Writing a finished trace: stdout report, JSON file, summary lines. Shared by both tools. */
#ifndef REPORT_OUTPUT_H
#define REPORT_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "trace/cli.h"
#include "process/frame_origins.h"
#include "trace/interval_sampler.h"
#include "trace/pprof_trail.h"
#include "report/json_writer.h"
#include "report/output_file.h"
#include "report/pprof_profile.h"
#include "report/process_totals.h"
#include "report/stack_report.h"
#include "report/trace_losses.h"
#include "trace/trace_session.h"
#include "unwind/unwind_tables.h"

/*
 * What a trace covered, as the outputs name it: one process, or a set of them
 * in words. A trace of one process writes its pid and comm as it always did;
 * a set's stacks carry their own (stack_report__add_owned).
 */
struct traced_scope {
	struct stack_owner process;	/* one process: its pid and comm */
	const char *set;		/* else "the whole host", "3 processes", "cgroup /x"; NULL */
};

/*
 * The report on stdout: folded stacks with -f (an unowned stack's root frame
 * the one process's comm), else the text report of the -T largest stacks
 * under a heading ending in `what` ("with unfreed allocations").
 */
void report_output__write(const struct cli_settings *settings, const struct traced_scope *scope,
			  const struct stack_report *report, const char *what);

/*
 * "<tool>: RSS A kB -> B kB (+C kB) over the same time; N kB attributed" on
 * stderr; without the attributed part when `attributed_kb` is negative.
 * Nothing for a set, whose RSS is each process's (process_totals).
 */
void report_output__print_rss(const struct trace_session *session, int64_t attributed_kb);


/*
 * "<tool>: N of M stacks (P% of the <unit>) reached the thread's root;
 * unwinding ..." on stderr: how complete the stacks are, and what the walk
 * cost in table memory.
 */
void report_output__print_stacks(const struct stack_report *report,
				 const struct unwind_tables *unwind);

/*
 * The files --json, --svg and --pprof name, created before anything is
 * attached (output_file.h says how, and why a planted link cannot redirect
 * them).
 */
struct report_files {
	struct output_file *json;	/* NULL without --json */
	struct output_file *svg;	/* NULL without --svg */
	struct pprof_trail pprof;	/* its `final` NULL without --pprof */
};

/* Creates them. Returns 0, or prints the reason and returns -errno having created none. */
int report_files__create(struct report_files *files, const struct cli_settings *settings);

/* Removes those not written to the end. */
void report_files__free(struct report_files *files);

/*
 * Writes the fields every tool's JSON has to `file`: tool, mode, pid and comm
 * (a set: scope, its words), duration_s, end, rss_start_kb, rss_end_kb,
 * lost_events, exact. The tool adds its own fields, then calls
 * report_output__end_json.
 */
void report_output__begin_json(struct json_writer *writer, struct output_file *file,
			       const char *tool, const char *mode, const struct traced_scope *scope,
			       const struct trace_session *session,
			       const struct trace_losses *losses);

/*
 * Writes the intervals of -i (when `sampler` was started), the stack quality,
 * the unwinding, a set's `processes` (NULL for one process) and the stacks
 * with their frames' sites from `origins`, closes the object and puts the
 * file in place. Returns 0, or prints and returns -errno.
 */
int report_output__end_json(struct json_writer *writer, struct output_file *file,
			    const struct stack_report *report,
			    const struct process_totals *processes,
			    const struct interval_sampler *sampler,
			    const struct unwind_tables *unwind,
			    const struct frame_origins *origins);

/*
 * The flame graph for --svg into `file`, titled `title` ("Unfreed
 * allocations") with the PID and command (or the set's words), duration and
 * total under it, coloured by `origins`. Returns 0, or prints and returns -errno.
 */
int report_output__write_svg(struct output_file *file, const char *title,
			     const struct traced_scope *scope, const struct trace_session *session,
			     const struct stack_report *report, const char *unit,
			     const struct frame_origins *origins);

/*
 * A pprof profile of `report` into `file` (committed), its sample types by
 * `kind`, its comment the `title` ("Unfreed allocations") of what was
 * traced, over the `elapsed_s` seconds since tracing began. 0, or prints and
 * returns -errno.
 */
int report_output__write_pprof(struct output_file *file, const struct pprof_kind *kind,
			       const char *title, const struct traced_scope *scope,
			       const struct trace_session *session, double elapsed_s,
			       const struct stack_report *report,
			       const struct frame_origins *origins);

#endif

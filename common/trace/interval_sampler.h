/*
 * -i SECONDS: at every interval, what each stack holds now (live bytes,
 * resident pages), a line of it for the user, and a sample for the trends
 * that class each stack at the end. The tool says how to take the figures;
 * the rest is the same for both tools.
 */
#ifndef INTERVAL_SAMPLER_H
#define INTERVAL_SAMPLER_H

#include <stdint.h>
#include <stdio.h>

#include "trace/cli.h"
#include "report/json_writer.h"
#include "report/stack_report.h"
#include "report/stack_trends.h"
#include "trace/target.h"
#include "trace/trace_session.h"

/* Fills `report` (empty, of the tool's unit) with what each stack holds now. */
typedef int (*interval_collect_fn)(struct stack_report *report, void *context);

/* What a tool samples, and the words for it. */
struct interval_figures {
	interval_collect_fn collect;
	void *context;
	const char *unit;		/* "bytes", "pages" */
	const char *count_name;		/* "allocations", "faults" */
	const char *held;		/* "unfreed", "resident" */
};

/* What the target held as a whole at one interval. */
struct interval_totals {
	long rss_kb;
	uint64_t held;			/* the sum over stacks, in the unit */
};

/*
 * Zeroed, a sampler is off: every function below then does nothing, so the
 * tools call them whether or not -i was given.
 */
struct interval_sampler {
	uint64_t interval_s;
	struct interval_figures figures;
	const struct target *target;
	const struct trace_session *session;
	FILE *out;			/* the interval lines: stdout, or stderr under -f */
	struct stack_trends *trends;	/* NULL while off */
	struct interval_totals *totals;	/* one per interval, as many as the trends' samples */
	size_t totals_capacity;
	uint64_t next_ns;
};

/*
 * Ready to sample `figures` every settings->interval_s from the session's
 * start; left off without -i. Returns 0, or prints and returns -ENOMEM.
 */
int interval_sampler__start(struct interval_sampler *sampler, const struct cli_settings *settings,
			    const struct interval_figures *figures, const struct target *target,
			    const struct trace_session *session);
/* Frees what it gathered. */
void interval_sampler__free(struct interval_sampler *sampler);

/* A trace_hook: samples when an interval has passed. Returns 0 or -errno. */
int interval_sampler__on_wake(void *sampler);

/* Classes every stack of the final `report` by its series (stack_entry.series). Returns 0 or -ENOMEM. */
int interval_sampler__annotate(struct interval_sampler *sampler, struct stack_report *report);

/*
 * "<tool>: over N intervals of S s: 1 leak suspect (bytes: 40000), 1 plateau
 * (...), ...": the classes of the final report's stacks, on stderr.
 */
void interval_sampler__print_classes(const struct interval_sampler *sampler,
				     const struct stack_report *report);

/* "intervals":{"seconds":[…],"rss_kb":[…],"<unit>":[…]} */
void interval_sampler__write_json(const struct interval_sampler *sampler,
				  struct json_writer *writer);

#endif

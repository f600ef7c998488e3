/* pgfaultstacks' BPF maps read back into a stack report, after tracing. */
#ifndef PGFAULTSTACKS_REPORT_H
#define PGFAULTSTACKS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/bcc_module.h"
#include "page_residency.h"
#include "pgfaultstacks.h"
#include "report/stack_report.h"
#include "process/symbolizer.h"
#include "trace/trace_run.h"

struct pgfault_totals {
	uint64_t counters[COUNTERS];		/* the BPF program's, by enum fault_counter */
	uint64_t pages_by_class[PAGE_CLASSES];	/* resident pages kept */
	uint64_t pages_recorded;		/* pages faulted in while tracing, before the residency check */
	uint64_t pages_around_faults;		/* file pages mapped around a fault, included */
	uint64_t released_not_logged;		/* releases the log had no room for */
	bool residency_checked;			/* false when the target was gone */
	uint64_t unreadable_processes;		/* a set's, whose page map we may not read: left out */
};

/* Reads the BPF program's counters into `totals`. */
void pgfault_totals__read_counters(struct pgfault_totals *totals, struct bcc_module *program);

/*
 * Fills `report` with the resident pages per stack, process by process: the
 * pages each recorded that its page map finds still resident (all it
 * recorded when the one traced process is gone; none of a set's process that
 * exited), a transparent huge page counting 512 once, for the latest stack
 * that faulted in it, and the file pages mapped around a fault (absent from
 * its baseline) for that fault's stack. `max_released` is the size of the
 * program's released-range log. Returns 0 or -errno.
 */
int pgfault_report__collect_pages(struct stack_report *report, struct pgfault_totals *totals,
				  struct trace_run *run, const struct page_baselines *baselines,
				  uint32_t max_released);

/* --all-faults: every fault per stack. Returns 0 or -errno. */
int pgfault_report__collect_faults(struct stack_report *report, struct trace_run *run);

#endif

/* memstacks' BPF maps read back into a stack report, after tracing. */
#ifndef MEMSTACKS_REPORT_H
#define MEMSTACKS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "allocators.h"
#include "image_watch.h"
#include "bpf/bcc_module.h"
#include "memstacks.h"
#include "report/stack_report.h"
#include "process/symbolizer.h"
#include "report/trace_losses.h"
#include "trace/trace_run.h"

/* Losses counted by the BPF program, indexed by enum loss_kind. */
struct memstacks_losses {
	uint64_t counts[LOSS_KINDS];
	struct trace_losses summary;
};

void memstacks_losses__read(struct memstacks_losses *losses, struct bcc_module *program);

/*
 * Fills `report` from the run's program's maps, each stack named by its
 * process (trace_run__naming, and the watch's allocator sites): the live
 * blocks in unfreed mode (those of a process's current image), the
 * stack totals in -a mode (dropping calls made from inside an allocator
 * function, which are counted by the function the program called), and `failed` with -a mode's
 * requests that could not succeed (failed_requests.h; NULL in unfreed mode,
 * which has none). In unfreed mode only blocks allocated before
 * `born_before_ns` (bpf_ktime_get_ns time; UINT64_MAX for all) count:
 * --min-age. Returns 0 or -errno.
 */
int memstacks_report__collect(struct stack_report *report, struct stack_report *failed,
			      struct trace_run *run, struct image_watch *watch, bool all_mode,
			      uint64_t born_before_ns);

#endif

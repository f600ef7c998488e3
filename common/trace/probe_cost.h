/*
 * What a trace cost the processes it traced, told in the summary so a user
 * knows before tracing longer: each uprobe hit costs the trap calibration
 * measured for the instruction the probe sits on (uprobe_calibration.h),
 * plus what the BPF programs ran, by the kernel's own run-time statistics.
 *
 *   probe_cost__start(&cost, program, pid);  at "Tracing": counts from zero
 *   ... trace ...
 *   probe_cost__finish(&cost, program, probes, emulation);
 *   probe_cost__print(&cost, stderr);
 */
#ifndef PROBE_COST_H
#define PROBE_COST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bpf/bcc_module.h"
#include "bpf/instruction_kinds.h"
#include "bpf/uprobes.h"

/* Uprobes whose hits are counted apart: -D PROBE_SITES (probe_hits.h). */
#define PROBE_SITES 16384

struct probe_cost {
	int stats_fd;			/* holds the kernel's BPF run-time statistics on */
	pid_t pid;			/* the one process traced, for its CPU time; else 0 */
	uint64_t cpu_start_ns;		/* its user and system time at the start */
	uint64_t run_start_ns;		/* our programs' run time at the start */
	bool zeroed;			/* the hits counted from zero */
	/* At the finish: */
	uint64_t hits;
	double trap_s;			/* hits times the calibrated cost of each */
	double run_s;			/* the programs' run time */
	double cpu_s;			/* the process's CPU time over the trace; 0 if unknown */
	bool known;			/* hits were counted per probe, and calibrated */
};

/* Starts counting: zeroes the hits and turns the run-time statistics on. */
void probe_cost__start(struct probe_cost *cost, struct bcc_module *program, pid_t pid);

/*
 * Totals the hits of every probe in `probes` by their calibrated cost; a
 * NULL `emulation` (not calibrated) leaves the cost unknown.
 */
void probe_cost__finish(struct probe_cost *cost, struct bcc_module *program,
			const struct uprobe_set *probes, const struct emulation *emulation);

/* The summary line, or why there is none. */
void probe_cost__print(const struct probe_cost *cost, FILE *out);

#endif

/*
 * Hits of each uprobe, counted for the summary's estimate of what the trace
 * cost (common/trace/probe_cost.c): a hit's trap costs what calibration
 * measured for the instruction the probe sits on. Each uprobe link carries
 * its probe's index in the frontend's set, plus one, as its cookie
 * (common/bpf/uprobes.c); a perf-event uprobe (a kernel without uprobe links)
 * carries none, and counts in slot 0, as does one past PROBE_SITES.
 *
 * Counted before any test of the set: a process outside it that traps has
 * paid the trap too. BPF only.
 */
#ifndef PROBE_HITS_H
#define PROBE_HITS_H

/* Linux 5.15's helper, which libbcc 0.26 does not declare. */
static u64 (*get_attach_cookie)(void *ctx) = (void *)BPF_FUNC_get_attach_cookie;

BPF_PERCPU_ARRAY(probe_hits, u64, PROBE_SITES);

static __always_inline void count_probe_hit(struct pt_regs *ctx)
{
	u32 site = get_attach_cookie(ctx);
	u64 *hits;

	if (site >= PROBE_SITES)
		site = 0;
	hits = probe_hits.lookup(&site);
	if (hits)
		(*hits)++;
}

#endif

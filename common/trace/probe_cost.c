#include "trace/probe_cost.h"

#include <bcc/libbpf.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/errors.h"
#include "bpf/possible_cpus.h"
#include "process/proc_fields.h"

/* The process's user and system time, in ns; 0 if unreadable. */
static uint64_t cpu_time_ns(pid_t pid)
{
	unsigned long long user, system;
	long ticks_per_s = sysconf(_SC_CLK_TCK);
	char line[1024];

	if (!pid || ticks_per_s <= 0 || proc_stat__read(pid, line, sizeof(line)) < 0 ||
	    !proc_stat__field(line, PROC_STAT_UTIME, &user) ||
	    !proc_stat__field(line, PROC_STAT_STIME, &system))
		return 0;
	return (user + system) * (1000000000ULL / ticks_per_s);
}

/*
 * Turns the kernel's BPF run-time statistics on for as long as the returned
 * fd is open (Linux 5.8); -1 if it cannot. They cost each BPF program on the
 * host two clock reads a run meanwhile.
 */
static int enable_run_time_stats(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	return syscall(SYS_bpf, BPF_ENABLE_STATS, &attr, sizeof(attr));
}

/*
 * Zeroes every slot of probe_hits in one call: calibration's probes, counted
 * in the first slots before the trace, are not the trace's.
 */
static bool zero_hits(struct bcc_module *program)
{
	int map_fd = bcc_module__map_fd(program, "probe_hits");
	int cpus = possible_cpus();
	uint32_t *slots = calloc(PROBE_SITES, sizeof(*slots));
	uint64_t *zeros = cpus > 0 ? calloc((size_t)PROBE_SITES * cpus, sizeof(*zeros)) : NULL;
	uint32_t count = PROBE_SITES;
	bool zeroed;

	for (uint32_t slot = 0; slots && slot < PROBE_SITES; slot++)
		slots[slot] = slot;
	zeroed = map_fd >= 0 && slots && zeros && !bpf_update_batch(map_fd, slots, zeros, &count);
	free(slots);
	free(zeros);
	return zeroed;
}

void probe_cost__start(struct probe_cost *cost, struct bcc_module *program, pid_t pid)
{
	*cost = (struct probe_cost){.pid = pid, .stats_fd = enable_run_time_stats(),
				    .zeroed = zero_hits(program)};
	cost->cpu_start_ns = cpu_time_ns(pid);
	cost->run_start_ns = bcc_module__run_time_ns(program);
}

/* Probe `index`'s hits, summed over the CPUs: slot index + 1 (probe_hits.h). */
static uint64_t hits_of(int map_fd, uint32_t slot, uint64_t *per_cpu, int cpus)
{
	uint64_t hits = 0;

	if (bpf_lookup_elem(map_fd, &slot, per_cpu))
		return 0;
	for (int cpu = 0; cpu < cpus; cpu++)
		hits += per_cpu[cpu];
	return hits;
}

void probe_cost__finish(struct probe_cost *cost, struct bcc_module *program,
			const struct uprobe_set *probes, const struct emulation *emulation)
{
	int map_fd = bcc_module__map_fd(program, "probe_hits");
	int cpus = possible_cpus();
	uint64_t *per_cpu = cpus > 0 ? calloc(cpus, sizeof(*per_cpu)) : NULL;
	size_t count = uprobe_set__count(probes);
	enum instruction_kind kind;
	bool at_return;

	if (cost->stats_fd >= 0)
		cost->run_s = (bcc_module__run_time_ns(program) - cost->run_start_ns) / 1e9;
	if (cost->pid && cost->cpu_start_ns)
		cost->cpu_s = (cpu_time_ns(cost->pid) - cost->cpu_start_ns) / 1e9;
	cost->known = emulation && per_cpu && map_fd >= 0 && cost->stats_fd >= 0 && cost->zeroed &&
		      uprobe_set__counts_hits(probes) && count < PROBE_SITES;
	for (size_t i = 0; cost->known && i < count; i++) {
		uint64_t hits = hits_of(map_fd, i + 1, per_cpu, cpus);

		uprobe_set__cost_class(probes, i, &at_return, &kind);
		cost->hits += hits;
		cost->trap_s += hits * (at_return ? emulation->ns_per_return
						  : emulation->ns_per_hit[kind]) / 1e9;
	}
	free(per_cpu);
	if (cost->stats_fd >= 0)
		close(cost->stats_fd);
	cost->stats_fd = -1;
}

void probe_cost__print(const struct probe_cost *cost, FILE *out)
{
	double spent_s = cost->trap_s + cost->run_s;

	if (!cost->known) {
		fprintf(out, "%s: what the probes cost is not known here (it needs uprobe links, Linux 6.6, and a calibration)\n",
			program_name);
		return;
	}
	fprintf(out, "%s: probes hit %llu times: about %.3f s of the traced threads' time "
		"(%.3f s in traps, %.3f s in BPF)", program_name, (unsigned long long)cost->hits,
		spent_s, cost->trap_s, cost->run_s);
	if (cost->cpu_s > 0)
		fprintf(out, ", %.0f%% of their %.2f s of CPU time", 100 * spent_s / cost->cpu_s,
			cost->cpu_s);
	fputc('\n', out);
}

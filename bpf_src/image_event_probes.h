/*
 * The BPF half of common/image_events: counts the events that change what the
 * target maps, and with -c stops the command at each of them, before any code
 * of what was mapped runs, until the frontend has followed the change (read
 * unwind tables, attached to allocators) and sends SIGCONT.
 *
 * Needs the -D setting STOP_AT_EVENTS (1 for -c, whose process is TARGET_TGID),
 * and those of traced_processes.h.
 * The frontend attaches loader_event to the loader's _dl_debug_state and the
 * raw tracepoint to sched_process_exec.
 */
#include "image_events.h"
#include "probe_hits.h"
#include "traced_processes.h"

BPF_ARRAY(image_events, u64, IMAGE_EVENTS);

#if TRACE_SCOPE != SCOPE_PROCESS
/* Each process's execs during the trace: which of its images an event belongs to. */
BPF_HASH(exec_generations, u32, u32, MAX_TRACED_PROCESSES);
#endif

/* Only the -c command stops: the frontend follows its stops, and no other's. */
static __always_inline void report_image_event(int event)
{
	u64 *count = image_events.lookup(&event);

	if (count)
		__sync_fetch_and_add(count, 1);
	if (STOP_AT_EVENTS && bpf_get_current_pid_tgid() >> 32 == TARGET_TGID)
		bpf_send_signal(19 /* SIGSTOP */);
}

/*
 * How many execs of process `tgid` this trace has seen: which of its images
 * is running. One process's are all the execs counted.
 */
static __always_inline u32 process_exec_generation(u32 tgid)
{
#if TRACE_SCOPE == SCOPE_PROCESS
	int exec = IMAGE_EVENT_EXEC;
	u64 *count = image_events.lookup(&exec);
#else
	u32 *count = exec_generations.lookup(&tgid);
#endif

	return count ? *count : 0;
}

/*
 * The dynamic loader calls _dl_debug_state() before and after it maps or
 * unmaps libraries (at start-up, dlopen, dlclose), before any of their code
 * runs.
 */
int loader_event(struct pt_regs *ctx)
{
	count_probe_hit(ctx);
	if (is_traced_process(bpf_get_current_pid_tgid()))
		report_image_event(IMAGE_EVENT_LOADER);
	return 0;
}

/* An exec replaces the whole image: the SIGSTOP arrives before its first instruction. */
RAW_TRACEPOINT_PROBE(sched_process_exec)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!is_traced_process(pid_tgid))
		return 0;
#if TRACE_SCOPE != SCOPE_PROCESS
	u32 tgid = pid_tgid >> 32, first = 1, *execs = exec_generations.lookup(&tgid);

	if (execs)
		__sync_fetch_and_add(execs, 1);
	else if (exec_generations.update(&tgid, &first))
		count_set_loss(SET_LOSS_EXECS);
#endif
	report_image_event(IMAGE_EVENT_EXEC);
	return 0;
}

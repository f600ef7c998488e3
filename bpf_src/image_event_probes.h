/*
 * The BPF half of common/image_events: counts the events that change what the
 * target maps, and with -c stops the command at each of them, before any code
 * of what was mapped runs, until the frontend has followed the change (read
 * unwind tables, attached to allocators) and sends SIGCONT.
 *
 * Needs the -D setting STOP_AT_EVENTS (1 for -c), and those of traced_processes.h.
 * The frontend attaches loader_event to the loader's _dl_debug_state and the
 * raw tracepoint to sched_process_exec.
 */
#include "image_events.h"
#include "traced_processes.h"

BPF_ARRAY(image_events, u64, IMAGE_EVENTS);

static __always_inline void report_image_event(int event)
{
	u64 *count = image_events.lookup(&event);

	if (count)
		__sync_fetch_and_add(count, 1);
	if (STOP_AT_EVENTS)
		bpf_send_signal(19 /* SIGSTOP */);
}

/* How many execs of the target this trace has seen: which image is running. */
static __always_inline u64 image_generation(void)
{
	int exec = IMAGE_EVENT_EXEC;
	u64 *count = image_events.lookup(&exec);

	return count ? *count : 0;
}

/*
 * The dynamic loader calls _dl_debug_state() before and after it maps or
 * unmaps libraries (at start-up, dlopen, dlclose), before any of their code
 * runs.
 */
int loader_event(struct pt_regs *ctx)
{
	if (is_traced_process(bpf_get_current_pid_tgid()))
		report_image_event(IMAGE_EVENT_LOADER);
	return 0;
}

/* An exec replaces the whole image: the SIGSTOP arrives before its first instruction. */
RAW_TRACEPOINT_PROBE(sched_process_exec)
{
	if (is_traced_process(bpf_get_current_pid_tgid()))
		report_image_event(IMAGE_EVENT_EXEC);
	return 0;
}

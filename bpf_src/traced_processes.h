/*
 * Which processes and threads a BPF program traces, asked the same way by
 * every program and by the headers they include. The frontend sets (-D)
 * TARGET_TGID, the traced process, and TARGET_TID, one thread of it or 0
 * for all (common/trace/trace_run.c). A set of processes (several PIDs,
 * forked children, a cgroup, the whole host) is a change to this header
 * and to those settings, not to the programs.
 */
#ifndef TRACED_PROCESSES_H
#define TRACED_PROCESSES_H

static __always_inline int is_traced_process(u64 pid_tgid)
{
	return pid_tgid >> 32 == TARGET_TGID;
}

/* With -t, only that thread's events count. */
static __always_inline int is_traced_thread(u64 pid_tgid)
{
	if (TARGET_TID)
		return (u32)pid_tgid == TARGET_TID;
	return is_traced_process(pid_tgid);
}

#endif

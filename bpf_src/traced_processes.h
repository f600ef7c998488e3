/*
 * Which processes and threads a BPF program traces, asked the same way by
 * every program and by the headers they include. The frontend
 * (common/trace/traced_set.c) sets (-D):
 *   TRACE_SCOPE      what the set is (enum trace_scope, traced_scope.h)
 *   TARGET_TGID      SCOPE_PROCESS: the process; otherwise a -c command, or 0
 *   TARGET_TID       SCOPE_PROCESS: one thread of it (-t), or 0 for all
 *   FOLLOW_CHILDREN  SCOPE_LISTED: a traced process's new processes join the set,
 *                    their tgid read at TASK_TGID_OFFSET in the child's task_struct
 *   CGROUP_ID, CGROUP_LEVEL  SCOPE_CGROUP: the cgroup's id, and its depth below the root
 *   TOOL_TGID        the tool itself, never traced: host-wide, its own mallocs
 *                    would otherwise be traced, and the report's own work with them
 */
#ifndef TRACED_PROCESSES_H
#define TRACED_PROCESSES_H

#include "traced_scope.h"

#if TRACE_SCOPE == SCOPE_LISTED
/* The listed processes (-p), and with --children those they started since. */
BPF_HASH(traced_tgids, u32, u8, MAX_TRACED_PROCESSES);
#endif

static __always_inline int is_traced_process(u64 pid_tgid)
{
	u32 tgid = pid_tgid >> 32;

#if TRACE_SCOPE == SCOPE_PROCESS
	return tgid == TARGET_TGID;
#elif TRACE_SCOPE == SCOPE_LISTED
	return traced_tgids.lookup(&tgid) != NULL;
#elif TRACE_SCOPE == SCOPE_CGROUP
	/* The ancestor at the cgroup's depth is the cgroup itself for its descendants. */
	return bpf_get_current_ancestor_cgroup_id(CGROUP_LEVEL) == CGROUP_ID && tgid != TOOL_TGID;
#else
	return tgid != TOOL_TGID;
#endif
}

/* With -t, only that thread's events count. */
static __always_inline int is_traced_thread(u64 pid_tgid)
{
#if TRACE_SCOPE == SCOPE_PROCESS
	if (TARGET_TID)
		return (u32)pid_tgid == TARGET_TID;
#endif
	return is_traced_process(pid_tgid);
}

#if TRACE_SCOPE == SCOPE_LISTED && FOLLOW_CHILDREN
/*
 * TP_PROTO(struct task_struct *parent, struct task_struct *child): a new
 * process of a traced one is traced from its first instruction, since the
 * set is asked at every event. A new thread has its process's tgid, already
 * in the set. The child's tgid is read at TASK_TGID_OFFSET, which the
 * frontend takes from this kernel's BTF: the headers libbcc compiles with
 * may be another kernel's, with another task_struct. The frontend attaches
 * it (common/trace/traced_set.c).
 */
RAW_TRACEPOINT_PROBE(sched_process_fork)
{
	void *child = (void *)ctx->args[1];
	u32 tgid = bpf_get_current_pid_tgid() >> 32, child_tgid = 0;
	u8 traced = 1;

	if (!traced_tgids.lookup(&tgid))
		return 0;
	if (bpf_probe_read_kernel(&child_tgid, sizeof(child_tgid), child + TASK_TGID_OFFSET))
		return 0;
	if (child_tgid != tgid)
		traced_tgids.update(&child_tgid, &traced);
	return 0;
}
#endif

#endif

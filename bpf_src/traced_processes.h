/*
 * Which processes and threads a BPF program traces, asked the same way by
 * every program and by the headers they include. The frontend
 * (common/trace/traced_set.c) sets (-D):
 *   TRACE_SCOPE      what the set is (enum trace_scope, traced_scope.h)
 *   TARGET_TGID      SCOPE_PROCESS: the process; otherwise a -c command, or 0
 *   TARGET_TID       SCOPE_PROCESS: one thread of it (-t), or 0 for all
 *   FOLLOW_CHILDREN  SCOPE_LISTED: a traced process's new processes join the set
 *                    (child_processes.h)
 *   CGROUP_ID, CGROUP_LEVEL  SCOPE_CGROUP: the cgroup's id, and its depth below the root
 *   TOOL_TGID        the tool itself, never traced: host-wide, its own mallocs
 *                    would otherwise be traced, and the report's own work with them
 */
#ifndef TRACED_PROCESSES_H
#define TRACED_PROCESSES_H

#include "traced_scope.h"

BPF_ARRAY(set_losses, u64, SET_LOSSES);

static __always_inline void count_set_loss(int which)
{
	u64 *count = set_losses.lookup(&which);

	if (count)
		__sync_fetch_and_add(count, 1);
}

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


#endif

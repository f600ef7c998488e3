/*
 * --children: a new process of a traced one joins the set (traced_processes.h)
 * and is traced from its first instruction, since the set is asked at every
 * event. Included after user_stacks.h, whose unwind tables it hands on.
 *
 * Needs the -D settings FOLLOW_CHILDREN and TASK_TGID_OFFSET: the offset of
 * tgid in this kernel's task_struct, which the frontend reads from the
 * kernel's BTF (the headers libbcc compiles with may be another kernel's,
 * with another layout). The frontend attaches it (common/trace/traced_set.c).
 */
#ifndef CHILD_PROCESSES_H
#define CHILD_PROCESSES_H

#if TRACE_SCOPE == SCOPE_LISTED && FOLLOW_CHILDREN
/*
 * TP_PROTO(struct task_struct *parent, struct task_struct *child), in the
 * parent. A new thread has its process's tgid, already in the set.
 */
RAW_TRACEPOINT_PROBE(sched_process_fork)
{
	void *child = (void *)ctx->args[1];
	u32 tgid = bpf_get_current_pid_tgid() >> 32, child_tgid = 0;
	u8 traced = 1;

	if (!traced_tgids.lookup(&tgid))
		return 0;
	if (bpf_probe_read_kernel(&child_tgid, sizeof(child_tgid), child + TASK_TGID_OFFSET) ||
	    child_tgid == tgid)
		return 0;
	if (traced_tgids.update(&child_tgid, &traced)) {
		count_set_loss(SET_LOSS_CHILDREN);
		return 0;
	}
#if UNWIND_ROWS
	/*
	 * A fork maps what its parent maps, where the parent maps it: its stacks
	 * are walked by the parent's tables from its first event (a PostgreSQL
	 * backend's first query), until the frontend reads its own after an exec.
	 */
	struct unwind_mapping_set *set = unwind_mapping_sets.lookup(&tgid);

	if (set)
		unwind_mapping_sets.update(&child_tgid, set);
#endif
	return 0;
}
#endif

#endif

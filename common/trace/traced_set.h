/*
 * The processes a trace follows, as the command line names them: one process
 * (-p PID, -t TID, -c COMMAND), several (-p PID,PID...), those and what they
 * start (--children), a cgroup v2 directory (--cgroup), or, with none of
 * these, the whole host. The BPF programs ask the set at every event
 * (bpf_src/traced_processes.h); this half chooses its scope, checks the
 * command line's processes and cgroup, and lists the set's members.
 */
#ifndef TRACED_SET_H
#define TRACED_SET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/bcc_module.h"
#include "trace/cli.h"
#include "traced_scope.h"

struct traced_set {
	int scope;			/* SCOPE_*, traced_scope.h */
	bool children;
	const pid_t *listed;		/* -p's processes */
	size_t listed_count;
	pid_t command;			/* -c's child once started, else 0 */
	const char *cgroup;		/* --cgroup's path as given */
	uint64_t cgroup_id;
	int cgroup_level;		/* its depth below the cgroup v2 root */
	uint32_t task_tgid_offset;	/* --children: of tgid in this kernel's task_struct */
};

/*
 * The set the command line names. Checks each -p process, and that --cgroup
 * is a cgroup v2 directory: prints the problem and its fix on one line, and
 * returns -errno, for any that is not.
 */
int traced_set__open(struct traced_set *set, const struct cli_settings *settings);

/* One process: the output names it, as before sets were known. */
bool traced_set__is_one_process(const struct traced_set *set);

/*
 * Whether uprobes are attached for each member's PID, so that a process
 * outside the set runs its allocator untouched: one process, or -p's list.
 * Otherwise (members born during the trace, a cgroup, the host) they are
 * attached for every process (-1) and the program tells members apart: each
 * process that maps a probed object then traps there.
 */
bool traced_set__probes_each_process(const struct traced_set *set);

/* TRACE_SCOPE, FOLLOW_CHILDREN, CGROUP_ID, CGROUP_LEVEL, TOOL_TGID. 0 or -errno. */
int traced_set__add_defines(const struct traced_set *set, struct bpf_defines *defines);

/*
 * Puts the listed processes (and a -c command) into the program's set, and
 * with --children attaches the fork tracepoint that adds their new
 * processes. 0 or -errno after saying why.
 */
int traced_set__start(struct traced_set *set, struct bcc_module *program);

/* Calls `visit` with each live member now; stops at and returns its first non-zero return. */
typedef int (*traced_set_visit_fn)(pid_t pid, void *context);
int traced_set__foreach(const struct traced_set *set, struct bcc_module *program,
			traced_set_visit_fn visit, void *context);

/*
 * Like traced_set__foreach, over the processes whose objects the set's
 * probes must cover: for a cgroup, every process of the host, since any may
 * join it during the trace.
 */
int traced_set__foreach_candidate(const struct traced_set *set, struct bcc_module *program,
				  traced_set_visit_fn visit, void *context);

/* What the program's full maps of the set dropped: warnings on stderr, if any. */
void traced_set__print_losses(const struct traced_set *set, struct bcc_module *program);

/* What the set is, for "Tracing ... of <it>": "PID 181 (redis-server)" is the caller's. */
void traced_set__describe(const struct traced_set *set, char *text, size_t size);

#endif

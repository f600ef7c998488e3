/*
 * What a trace's set of processes is, as the frontend chooses it and the BPF
 * programs test it (traced_processes.h). Macros, not an enum: the programs
 * choose their code with #if on them. Included by both halves.
 */
#ifndef TRACED_SCOPE_H
#define TRACED_SCOPE_H

#define SCOPE_PROCESS 0		/* one process (-p PID, -t TID, -c COMMAND) */
#define SCOPE_LISTED 1		/* several (-p PID,PID...), or any with --children */
#define SCOPE_CGROUP 2		/* the processes of a cgroup v2 directory and its descendants */
#define SCOPE_HOST 3		/* every process but the tool */

/* SCOPE_LISTED: processes the set can hold, listed and forked. */
#define MAX_TRACED_PROCESSES 32768

/* What a full map of the set dropped, counted in map set_losses. */
#define SET_LOSS_CHILDREN 0	/* --children: new processes not traced, the set full */
#define SET_LOSS_EXECS 1	/* processes whose execs could not be counted */
#define SET_LOSSES 2

#endif

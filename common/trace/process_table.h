/*
 * The processes a trace of a set met, one record each: the name, the RSS at
 * the trace's start and end, and the symbols its stacks are named with. A
 * one-process trace needs none of it (struct target holds that process).
 */
#ifndef PROCESS_TABLE_H
#define PROCESS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "process/frame_origins.h"
#include "process/symbolizer.h"
#include "report/stack_report.h"

struct traced_process {
	pid_t pid;
	char comm[64];		/* as the process set it: write it through untrusted_text */
	long rss_start_kb;	/* at the trace's start; 0 for a process born during it */
	long rss_end_kb;	/* at the report; -1 once it has exited */
	struct symbolizer *symbolizer;	/* read at the report, NULL once it has exited */
	struct stack_owner owner;	/* what its stacks are tagged with */
	bool met_in_events;		/* the tool read events of it */
};

struct process_table {
	struct traced_process **items;	/* each apart, so that pointers to one stay good */
	size_t count;
	size_t capacity;
	const struct frame_naming *naming;	/* the trace's, shared by every process's symbols */
};

/* Notes a member present at the trace's start, with its RSS then: 0 or -ENOMEM. */
int process_table__note_start(struct process_table *table, pid_t pid);

/*
 * The process `pid`, met in the traced events: added on first sight (born
 * during the trace) with its name and symbols if it still lives. NULL only
 * when out of memory.
 */
struct traced_process *process_table__get(struct process_table *table, pid_t pid);

/* Reads every process's RSS at the end (-1 for those that exited). */
void process_table__finish(struct process_table *table);

/* Whether the process ended during the trace. */
bool traced_process__exited(const struct traced_process *process);

void process_table__free(struct process_table *table);

#endif

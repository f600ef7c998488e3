#include "trace/process_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/growable_array.h"
#include "process/proc_fields.h"

static struct traced_process *find(const struct process_table *table, pid_t pid)
{
	size_t i;

	for (i = 0; i < table->count; i++) {
		if (table->items[i]->pid == pid)
			return table->items[i];
	}
	return NULL;
}

static struct traced_process *add(struct process_table *table, pid_t pid)
{
	struct traced_process *process;

	if (growable_array__reserve(&table->items, &table->capacity, table->count,
				    sizeof(*table->items)))
		return NULL;
	process = calloc(1, sizeof(*process));
	if (!process)
		return NULL;
	process->pid = pid;
	process->rss_end_kb = -1;
	/* Its name is gone with it: the PID is all that is left to show. */
	if (!proc_comm__read(pid, process->comm, sizeof(process->comm)))
		snprintf(process->comm, sizeof(process->comm), "[exited %d]", (int)pid);
	process->owner = (struct stack_owner){.pid = pid, .comm = process->comm};
	table->items[table->count++] = process;
	return process;
}

int process_table__note_start(struct process_table *table, pid_t pid)
{
	struct traced_process *process = find(table, pid) ?: add(table, pid);

	if (!process)
		return -ENOMEM;
	process->rss_start_kb = proc_status__read(pid, "VmRSS");
	if (process->rss_start_kb < 0)
		process->rss_start_kb = 0;
	return 0;
}

/* Its end, read once, at the report: by then it has mapped all it will. */
static void read_end(struct process_table *table, struct traced_process *process)
{
	if (process->symbolizer || process->rss_end_kb >= 0)
		return;
	process->rss_end_kb = proc_status__read(process->pid, "VmRSS");
	if (process->rss_end_kb >= 0)
		process->symbolizer = symbolizer__new(process->pid, table->naming);
}

struct traced_process *process_table__get(struct process_table *table, pid_t pid)
{
	struct traced_process *process = find(table, pid) ?: add(table, pid);

	if (process) {
		process->met_in_events = true;
		read_end(table, process);
	}
	return process;
}

void process_table__finish(struct process_table *table)
{
	size_t i;

	for (i = 0; i < table->count; i++)
		read_end(table, table->items[i]);
}

bool traced_process__exited(const struct traced_process *process)
{
	return process->rss_end_kb < 0;
}

void process_table__free(struct process_table *table)
{
	size_t i;

	for (i = 0; i < table->count; i++) {
		symbolizer__free(table->items[i]->symbolizer);
		free(table->items[i]);
	}
	free(table->items);
}

#include "report/process_totals.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/growable_array.h"
#include "report/untrusted_text.h"

/* A row with its own copy of the comm, stored after it. */
struct stored_total {
	struct process_total total;
	char comm[];
};

struct process_totals {
	const char *unit;
	const char *count_name;
	struct stored_total **rows;
	size_t length;
	size_t capacity;
};

void process_totals__free(struct process_totals *totals)
{
	size_t i;

	if (!totals)
		return;
	for (i = 0; i < totals->length; i++)
		free(totals->rows[i]);
	free(totals->rows);
	free(totals);
}

static int compare_rows(const void *a, const void *b)
{
	const struct process_total *left = &(*(struct stored_total *const *)a)->total;
	const struct process_total *right = &(*(struct stored_total *const *)b)->total;

	if (left->value != right->value)
		return left->value > right->value ? -1 : 1;
	return (left->pid > right->pid) - (left->pid < right->pid);
}

static void sort_rows(struct process_totals *totals)
{
	qsort(totals->rows, totals->length, sizeof(*totals->rows), compare_rows);
}

/* The row of `process`, added empty if new; NULL without memory. */
static struct process_total *row_of(struct process_totals *totals,
				    const struct stack_owner *process)
{
	struct stored_total *stored;
	size_t i, comm_size;

	for (i = 0; i < totals->length; i++) {
		if (totals->rows[i]->total.pid == process->pid)
			return &totals->rows[i]->total;
	}
	if (growable_array__reserve(&totals->rows, &totals->capacity, totals->length,
				    sizeof(*totals->rows)))
		return NULL;
	comm_size = strlen(process->comm) + 1;
	stored = malloc(sizeof(*stored) + comm_size);
	if (!stored)
		return NULL;
	memcpy(stored->comm, process->comm, comm_size);
	stored->total = (struct process_total){.pid = process->pid, .comm = stored->comm,
					       .rss_start_kb = RSS_UNKNOWN,
					       .rss_end_kb = RSS_UNKNOWN};
	totals->rows[totals->length++] = stored;
	return &stored->total;
}

struct process_totals *process_totals__from_report(const struct stack_report *report)
{
	struct process_totals *totals = calloc(1, sizeof(*totals));
	struct process_total *row;
	size_t i;

	if (!totals)
		return NULL;
	totals->unit = stack_report__unit(report);
	totals->count_name = stack_report__count_name(report);
	for (i = 0; i < stack_report__length(report); i++) {
		const struct stack_entry *entry = stack_report__entry(report, i);

		if (!entry->owner)
			continue;
		row = row_of(totals, entry->owner);
		if (!row) {
			process_totals__free(totals);
			return NULL;
		}
		row->value += entry->value;
		row->count += entry->count;
	}
	sort_rows(totals);
	return totals;
}

int process_totals__set_rss(struct process_totals *totals, const struct stack_owner *process,
			    long start_kb, long end_kb)
{
	struct process_total *row = row_of(totals, process);

	if (!row)
		return -ENOMEM;
	row->rss_start_kb = start_kb;
	row->rss_end_kb = end_kb;
	/* A process added here has nothing attributed: its place is among the last. */
	sort_rows(totals);
	return 0;
}

int process_totals__set_exited(struct process_totals *totals, const struct stack_owner *process)
{
	struct process_total *row = row_of(totals, process);

	if (!row)
		return -ENOMEM;
	row->exited = true;
	sort_rows(totals);
	return 0;
}

size_t process_totals__length(const struct process_totals *totals)
{
	return totals->length;
}

const struct process_total *process_totals__entry(const struct process_totals *totals,
						  size_t index)
{
	return index < totals->length ? &totals->rows[index]->total : NULL;
}

bool process_total__rss_growth_kb(const struct process_total *total, long *growth_kb)
{
	/* An exited process's last RSS is not its RSS at the end: it has none. */
	if (total->exited || total->rss_start_kb == RSS_UNKNOWN || total->rss_end_kb == RSS_UNKNOWN)
		return false;
	*growth_kb = total->rss_end_kb - total->rss_start_kb;
	return true;
}

/* A column's heading: the report's word in capitals, as wide as the column. */
#define COLUMN_WIDTH 12

static void write_heading(FILE *out, const char *word)
{
	char heading[COLUMN_WIDTH + 1];
	size_t i;

	for (i = 0; word[i] && i < COLUMN_WIDTH; i++)
		heading[i] = (char)toupper((unsigned char)word[i]);
	heading[i] = '\0';
	fprintf(out, " %*s", COLUMN_WIDTH, heading);
}

void process_totals__write_text(const struct process_totals *totals, FILE *out)
{
	char growth[32];
	long growth_kb;
	size_t i;

	fprintf(out, "%7s", "PID");
	write_heading(out, totals->unit);
	if (totals->count_name)
		write_heading(out, totals->count_name);
	fprintf(out, " %11s  COMM\n", "RSS-GROWTH");
	for (i = 0; i < totals->length; i++) {
		const struct process_total *total = &totals->rows[i]->total;

		if (total->exited)
			snprintf(growth, sizeof(growth), "exited");
		else if (process_total__rss_growth_kb(total, &growth_kb))
			snprintf(growth, sizeof(growth), "%+ld kB", growth_kb);
		else
			snprintf(growth, sizeof(growth), "unknown");
		fprintf(out, "%7d %*llu", total->pid, COLUMN_WIDTH, (unsigned long long)total->value);
		if (totals->count_name)
			fprintf(out, " %*llu", COLUMN_WIDTH, (unsigned long long)total->count);
		fprintf(out, " %11s  ", growth);
		untrusted_text__write(out, total->comm, NULL);
		fputc('\n', out);
	}
}

void process_totals__write_json(const struct process_totals *totals, struct json_writer *writer)
{
	long growth_kb;
	size_t i;

	json_writer__begin_array(writer, "processes");
	for (i = 0; i < totals->length; i++) {
		const struct process_total *total = &totals->rows[i]->total;

		json_writer__begin_object(writer, NULL);
		json_writer__i64(writer, "pid", total->pid);
		json_writer__string(writer, "comm", total->comm);
		json_writer__u64(writer, totals->unit, total->value);
		if (totals->count_name)
			json_writer__u64(writer, totals->count_name, total->count);
		if (process_total__rss_growth_kb(total, &growth_kb))
			json_writer__i64(writer, "rss_growth_kb", growth_kb);
		else
			json_writer__null(writer, "rss_growth_kb");
		json_writer__bool(writer, "exited", total->exited);
		json_writer__end_object(writer);
	}
	json_writer__end_array(writer);
}

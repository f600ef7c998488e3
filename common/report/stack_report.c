#include "report/stack_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/growable_array.h"
#include "report/untrusted_text.h"

/* A report's own copy of an owner, so the caller's may go: the comm is stored after it. */
struct stored_owner {
	struct stack_owner owner;
	char comm[];
};

struct stack_report {
	const char *unit;
	const char *count_name;
	/* The processes of owned stacks, one per pid; entries point at them. */
	struct stored_owner **owners;
	size_t owner_count;
	size_t owner_capacity;
	struct stack_entry *entries;
	size_t length;
	size_t capacity;
	/* Open addressing over entries, for merging: slot holds index + 1, 0 is empty. */
	size_t *slots;
	size_t slot_count;
	uint64_t total_value;
	uint64_t total_count;
};

struct stack_report *stack_report__new(const char *unit, const char *count_name)
{
	struct stack_report *report = calloc(1, sizeof(*report));

	if (report) {
		report->unit = unit;
		report->count_name = count_name;
	}
	return report;
}

void stack_report__free(struct stack_report *report)
{
	size_t i, f;

	if (!report)
		return;
	for (i = 0; i < report->length; i++) {
		for (f = 0; f < report->entries[i].depth; f++)
			free(report->entries[i].frames[f]);
		free(report->entries[i].frames);
	}
	for (i = 0; i < report->owner_count; i++)
		free(report->owners[i]);
	free(report->owners);
	free(report->entries);
	free(report->slots);
	free(report);
}

/* Stacks merge only within one process: the pid is part of a stack's identity. */
static uint64_t hash_stack(const struct stack_owner *owner, const char *const frames[],
			   size_t depth)
{
	uint64_t hash = 1469598103934665603ULL;	/* FNV-1a */
	const char *c;
	size_t f;

	if (owner)
		hash = (hash ^ (uint64_t)(unsigned int)owner->pid) * 1099511628211ULL;
	for (f = 0; f < depth; f++) {
		for (c = frames[f]; *c; c++)
			hash = (hash ^ (unsigned char)*c) * 1099511628211ULL;
		hash = (hash ^ 0xff) * 1099511628211ULL;	/* frame boundary */
	}
	return hash;
}

static int same_owner(const struct stack_owner *a, const struct stack_owner *b)
{
	return a == b || (a && b && a->pid == b->pid);
}

static int same_stack(const struct stack_entry *entry, const struct stack_owner *owner,
		      const char *const frames[], size_t depth)
{
	size_t f;

	if (entry->depth != depth || !same_owner(entry->owner, owner))
		return 0;
	for (f = 0; f < depth; f++) {
		if (strcmp(entry->frames[f], frames[f]))
			return 0;
	}
	return 1;
}

/* The slot of the stack, or the empty one where it would go. The table must not be empty. */
static size_t *find_slot(const struct stack_report *report, const struct stack_owner *owner,
			 const char *const frames[], size_t depth)
{
	size_t mask = report->slot_count - 1;
	size_t slot = hash_stack(owner, frames, depth) & mask;

	while (report->slots[slot] &&
	       !same_stack(&report->entries[report->slots[slot] - 1], owner, frames, depth))
		slot = (slot + 1) & mask;
	return &report->slots[slot];
}

/* Keeps the slot table at most half full, so probes stay short. */
static int grow_slots(struct stack_report *report)
{
	size_t new_count = report->slot_count ? report->slot_count * 2 : 256;
	size_t *old_slots = report->slots;
	size_t i;

	report->slots = calloc(new_count, sizeof(*report->slots));
	if (!report->slots) {
		report->slots = old_slots;
		return -ENOMEM;
	}
	report->slot_count = new_count;
	free(old_slots);
	for (i = 0; i < report->length; i++) {
		const struct stack_entry *entry = &report->entries[i];

		*find_slot(report, entry->owner, (const char *const *)entry->frames,
			   entry->depth) = i + 1;
	}
	return 0;
}

/*
 * The report's copy of `owner`, made on its first stack; NULL without memory.
 * A pid keeps the comm it came with first. A linear search: it runs once per
 * new stack, not per event, and a host's processes are few beside its stacks.
 */
static const struct stack_owner *stored_owner_of(struct stack_report *report,
						 const struct stack_owner *owner)
{
	struct stored_owner *stored;
	size_t i, comm_size;

	for (i = 0; i < report->owner_count; i++) {
		if (report->owners[i]->owner.pid == owner->pid)
			return &report->owners[i]->owner;
	}
	if (growable_array__reserve(&report->owners, &report->owner_capacity, report->owner_count,
				    sizeof(*report->owners)))
		return NULL;
	comm_size = strlen(owner->comm) + 1;
	stored = malloc(sizeof(*stored) + comm_size);
	if (!stored)
		return NULL;
	memcpy(stored->comm, owner->comm, comm_size);
	stored->owner = (struct stack_owner){owner->pid, stored->comm};
	report->owners[report->owner_count++] = stored;
	return &stored->owner;
}

static int append_entry(struct stack_report *report, const struct stack_owner *owner,
			const char *const frames[], size_t depth)
{
	struct stack_entry *entry;
	size_t f;

	if (growable_array__reserve(&report->entries, &report->capacity, report->length,
				    sizeof(*entry)))
		return -ENOMEM;
	entry = &report->entries[report->length];
	memset(entry, 0, sizeof(*entry));
	if (owner) {
		entry->owner = stored_owner_of(report, owner);
		if (!entry->owner)
			return -ENOMEM;
	}
	entry->frames = calloc(depth ? depth : 1, sizeof(*entry->frames));
	if (!entry->frames)
		return -ENOMEM;
	for (f = 0; f < depth; f++) {
		entry->frames[f] = strdup(frames[f]);
		if (!entry->frames[f])
			goto fail;
	}
	entry->depth = depth;
	report->length++;
	return 0;
fail:
	while (f--)
		free(entry->frames[f]);
	free(entry->frames);
	return -ENOMEM;
}

/* The entry of the stack, added empty if the report has none; NULL without memory. */
static struct stack_entry *entry_of(struct stack_report *report, const struct stack_owner *owner,
				    const char *const frames[], size_t depth)
{
	size_t *slot;

	if (2 * (report->length + 1) > report->slot_count && grow_slots(report))
		return NULL;
	slot = find_slot(report, owner, frames, depth);
	if (!*slot) {
		if (append_entry(report, owner, frames, depth))
			return NULL;
		*slot = report->length;
	}
	return &report->entries[*slot - 1];
}

int stack_report__add(struct stack_report *report, const char *const frames[], size_t depth,
		      uint64_t value, uint64_t count)
{
	return stack_report__add_owned(report, NULL, frames, depth, value, count);
}

int stack_report__add_owned(struct stack_report *report, const struct stack_owner *owner,
			    const char *const frames[], size_t depth, uint64_t value,
			    uint64_t count)
{
	struct stack_entry *entry = entry_of(report, owner, frames, depth);

	if (!entry)
		return -ENOMEM;
	entry->value += value;
	entry->count += count;
	report->total_value += value;
	report->total_count += count;
	return 0;
}

int stack_report__add_largest(struct stack_report *report, const char *const frames[],
			      size_t depth, uint64_t value, uint64_t count)
{
	return stack_report__add_largest_owned(report, NULL, frames, depth, value, count);
}

int stack_report__add_largest_owned(struct stack_report *report, const struct stack_owner *owner,
				    const char *const frames[], size_t depth, uint64_t value,
				    uint64_t count)
{
	struct stack_entry *entry = entry_of(report, owner, frames, depth);

	if (!entry)
		return -ENOMEM;
	if (value > entry->value)
		entry->value = value;
	if (value > report->total_value)
		report->total_value = value;
	entry->count += count;
	report->total_count += count;
	return 0;
}

static int compare_entries(const void *a, const void *b)
{
	const struct stack_entry *left = a, *right = b;
	size_t f;
	int order;

	if (left->value != right->value)
		return left->value > right->value ? -1 : 1;
	for (f = 0; f < left->depth && f < right->depth; f++) {
		order = strcmp(left->frames[f], right->frames[f]);
		if (order)
			return order;
	}
	if (left->depth != right->depth)
		return (left->depth > right->depth) - (left->depth < right->depth);
	/* The same stack in two processes: by pid, an unowned one first. */
	if (!left->owner || !right->owner)
		return !!left->owner - !!right->owner;
	return (left->owner->pid > right->owner->pid) - (left->owner->pid < right->owner->pid);
}

void stack_report__sort(struct stack_report *report)
{
	size_t i;

	qsort(report->entries, report->length, sizeof(*report->entries), compare_entries);
	/* Sorting moved the entries: the merge index must follow them. */
	memset(report->slots, 0, report->slot_count * sizeof(*report->slots));
	for (i = 0; i < report->length; i++)
		*find_slot(report, report->entries[i].owner,
			   (const char *const *)report->entries[i].frames,
			   report->entries[i].depth) = i + 1;
}

size_t stack_report__length(const struct stack_report *report)
{
	return report->length;
}

const char *stack_report__unit(const struct stack_report *report)
{
	return report->unit;
}

const char *stack_report__count_name(const struct stack_report *report)
{
	return report->count_name;
}

long stack_report__index_of(const struct stack_report *report, const struct stack_owner *owner,
			    const char *const frames[], size_t depth)
{
	if (!report->slot_count)
		return -1;
	return (long)*find_slot(report, owner, frames, depth) - 1;
}

void stack_report__set_series(struct stack_report *report, size_t index,
			      const struct stack_series *series)
{
	if (index < report->length)
		report->entries[index].series = series;
}

const struct stack_entry *stack_report__entry(const struct stack_report *report, size_t index)
{
	return index < report->length ? &report->entries[index] : NULL;
}

uint64_t stack_report__total_value(const struct stack_report *report)
{
	return report->total_value;
}

uint64_t stack_report__total_count(const struct stack_report *report)
{
	return report->total_count;
}

void stack_entry__write_frames(const struct stack_entry *entry, FILE *out)
{
	size_t f;

	for (f = entry->depth; f-- > 0;) {
		fputs("\t\t", out);
		untrusted_text__write(out, entry->frames[f], NULL);
		fputc('\n', out);
	}
}

void stack_report__write_text(const struct stack_report *report, FILE *out, size_t top)
{
	size_t shown = top && top < report->length ? top : report->length;
	size_t i;

	for (i = 0; i < shown; i++) {
		const struct stack_entry *entry = &report->entries[i];

		fprintf(out, "\t%llu %s", (unsigned long long)entry->value, report->unit);
		if (report->count_name)
			fprintf(out, " in %llu %s", (unsigned long long)entry->count,
				report->count_name);
		fputs(" from stack", out);
		if (entry->series)
			fprintf(out, " (%s)", entry->series->class_name);
		fputc('\n', out);
		stack_entry__write_frames(entry, out);
		/* The process under its frames, as bcc's stackcount -P shows it. */
		if (entry->owner) {
			fputs("\t\t-  ", out);
			untrusted_text__write(out, entry->owner->comm, NULL);
			fprintf(out, " (%d)\n", entry->owner->pid);
		}
	}
}

void stack_report__write_brief(const struct stack_report *report, FILE *out, size_t top,
			       size_t frames)
{
	size_t shown = top < report->length ? top : report->length;
	size_t i, f;

	for (i = 0; i < shown; i++) {
		const struct stack_entry *entry = &report->entries[i];

		fputs("    ", out);
		if (entry->owner) {
			untrusted_text__write(out, entry->owner->comm, NULL);
			fprintf(out, "[%d] ", entry->owner->pid);
		}
		fprintf(out, "%llu %s ", (unsigned long long)entry->value, report->unit);
		for (f = entry->depth; f-- > 0 && entry->depth - f <= frames;) {
			fputs(f + 1 == entry->depth ? " " : " <- ", out);
			untrusted_text__write(out, entry->frames[f], NULL);
		}
		fputc('\n', out);
	}
}

/*
 * Between frames of a folded stack, so escaped inside names. A space needs no
 * escape: the value follows the last one, and C++ names hold spaces.
 */
#define FOLDED_SEPARATOR ";"

void folded_stack__write(FILE *out, const char *comm, const char *const *frames, size_t depth)
{
	size_t f;

	if (comm)
		untrusted_text__write(out, comm, FOLDED_SEPARATOR);
	for (f = 0; f < depth; f++) {
		if (comm || f)
			fputs(FOLDED_SEPARATOR, out);
		untrusted_text__write(out, frames[f], FOLDED_SEPARATOR);
	}
}

void stack_report__write_folded(const struct stack_report *report, FILE *out, const char *comm)
{
	size_t i;

	for (i = 0; i < report->length; i++) {
		const struct stack_entry *entry = &report->entries[i];

		/* Only the comm, not the pid: flame graphs merge a program's processes. */
		folded_stack__write(out, entry->owner ? entry->owner->comm : comm,
				    (const char *const *)entry->frames, entry->depth);
		fprintf(out, " %llu\n", (unsigned long long)entry->value);
	}
}

static void write_series_json(struct json_writer *writer, const struct stack_series *series)
{
	size_t i;

	json_writer__string(writer, "class", series->class_name);
	json_writer__begin_array(writer, "series");
	for (i = 0; i < series->length; i++)
		json_writer__u64(writer, NULL, series->values[i]);
	json_writer__end_array(writer);
}

/* Where a frame's code is, as far as it is known. */
static void write_site_json(const struct frame_site *site, struct json_writer *writer)
{
	if (!site) {
		json_writer__null(writer, NULL);
		return;
	}
	json_writer__begin_object(writer, NULL);
	json_writer__string(writer, "object", site->object);
	if (site->build_id)
		json_writer__string(writer, "build_id", site->build_id);
	json_writer__u64(writer, "offset", site->file_offset);
	json_writer__u64(writer, "address", site->address);
	if (site->function)
		json_writer__string(writer, "function", site->function);
	if (site->source_file) {
		json_writer__string(writer, "file", site->source_file);
		json_writer__u64(writer, "line", site->line);
	}
	if (site->inlined)
		json_writer__bool(writer, "inlined", true);
	json_writer__end_object(writer);
}

void stack_report__write_json(const struct stack_report *report,
			      const struct frame_origins *origins, struct json_writer *writer)
{
	size_t i, f;

	json_writer__begin_array(writer, "stacks");
	for (i = 0; i < report->length; i++) {
		const struct stack_entry *entry = &report->entries[i];

		json_writer__begin_object(writer, NULL);
		if (entry->owner) {
			json_writer__i64(writer, "pid", entry->owner->pid);
			json_writer__string(writer, "comm", entry->owner->comm);
		}
		json_writer__begin_array(writer, "frames");
		for (f = 0; f < entry->depth; f++)
			json_writer__string(writer, NULL, entry->frames[f]);
		json_writer__end_array(writer);
		if (origins) {
			json_writer__begin_array(writer, "sites");
			for (f = 0; f < entry->depth; f++)
				write_site_json(frame_origins__site(origins, entry->frames[f]),
						writer);
			json_writer__end_array(writer);
		}
		json_writer__u64(writer, report->unit, entry->value);
		if (report->count_name)
			json_writer__u64(writer, report->count_name, entry->count);
		if (entry->series)
			write_series_json(writer, entry->series);
		json_writer__end_object(writer);
	}
	json_writer__end_array(writer);
}

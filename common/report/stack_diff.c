#include "report/stack_diff.h"

#include <stdlib.h>
#include <string.h>

#include "base/growable_array.h"
#include "report/untrusted_text.h"

#define BEFORE 0
#define AFTER 1

struct stack_diff {
	/* Each side merged by comm and frames: stack_report does the matching. */
	struct stack_report *sides[2];
	struct frame_origins *origins;
	struct stack_change *changes;
	size_t length;
	size_t capacity;
	bool with_comm;
	const char *unit;
	const char *count_name;		/* NULL unless both sides have counts */
};

/* Stacks match by comm only if every stack of both sides has one. */
static bool every_stack_has_comm(const struct saved_report *report)
{
	size_t i;

	for (i = 0; i < report->stack_count; i++) {
		if (!report->stacks[i].comm)
			return false;
	}
	return true;
}

/* The source line of each frame whose site has one, for the flame graph's tooltips. */
static int add_sites(struct frame_origins *origins, const struct saved_stack *stack)
{
	size_t f;
	int err;

	for (f = 0; f < stack->depth; f++) {
		if (!stack->files[f])
			continue;
		err = frame_origins__set_site(origins, stack->frames[f], &(struct frame_site){
			.function = stack->frames[f],
			.source_file = stack->files[f],
			.line = stack->lines[f],
		});
		if (err)
			return err;
	}
	return 0;
}

static int add_side(struct stack_diff *diff, const struct diff_side *side, int which)
{
	const char *frames[SAVED_MAX_DEPTH + 1];
	const struct saved_stack *stack;
	uint64_t value, count;
	size_t i, f, depth;
	int err;

	for (i = 0; i < side->report->stack_count; i++) {
		stack = &side->report->stacks[i];
		value = saved_stack__value(stack, side->interval);
		count = side->interval == SAVED_END ? stack->count : 0;
		/* A stack absent from an interval has a zero there: it was not there. */
		if (!value && !count)
			continue;
		depth = 0;
		if (diff->with_comm)
			frames[depth++] = stack->comm;
		for (f = 0; f < stack->depth; f++)
			frames[depth++] = stack->frames[f];
		err = stack_report__add(diff->sides[which], frames, depth, value, count);
		err = err ?: add_sites(diff->origins, stack);
		if (err)
			return err;
	}
	return 0;
}

static int add_change(struct stack_diff *diff, const struct stack_entry *entry,
		      const struct stack_entry *before, const struct stack_entry *after)
{
	struct stack_change *change;
	size_t skip = diff->with_comm;

	if (growable_array__reserve(&diff->changes, &diff->capacity, diff->length,
				    sizeof(*change)))
		return -1;
	change = &diff->changes[diff->length++];
	*change = (struct stack_change){
		.comm = skip ? entry->frames[0] : NULL,
		.frames = (const char *const *)entry->frames + skip,
		.depth = entry->depth - skip,
		.before = before ? before->value : 0,
		.after = after ? after->value : 0,
		.before_count = before ? before->count : 0,
		.after_count = after ? after->count : 0,
	};
	return 0;
}

/* The index in `side` of the stack `entry` (of the other side), or -1. */
static long index_in(const struct stack_report *side, const struct stack_entry *entry)
{
	return stack_report__index_of(side, NULL, (const char *const *)entry->frames,
				      entry->depth);
}

/* Every stack of the after side with its before figures, then those gone. */
static int match(struct stack_diff *diff)
{
	const struct stack_report *before = diff->sides[BEFORE], *after = diff->sides[AFTER];
	const struct stack_entry *entry;
	long other;
	size_t i;

	for (i = 0; i < stack_report__length(after); i++) {
		entry = stack_report__entry(after, i);
		other = index_in(before, entry);
		if (add_change(diff, entry, other < 0 ? NULL : stack_report__entry(before, other),
			       entry))
			return -1;
	}
	for (i = 0; i < stack_report__length(before); i++) {
		entry = stack_report__entry(before, i);
		if (index_in(after, entry) < 0 && add_change(diff, entry, entry, NULL))
			return -1;
	}
	return 0;
}

int64_t stack_change__delta(const struct stack_change *change)
{
	/* Both figures are at most SAVED_MAX_VALUE: the difference fits. */
	return (int64_t)change->after - (int64_t)change->before;
}

/* Largest growth first; then the larger figure, then names, for output that does not wander. */
static int compare_changes(const void *a, const void *b)
{
	const struct stack_change *left = a, *right = b;
	int64_t left_delta = stack_change__delta(left), right_delta = stack_change__delta(right);
	size_t f;
	int order;

	if (left_delta != right_delta)
		return left_delta > right_delta ? -1 : 1;
	if (left->after != right->after)
		return left->after > right->after ? -1 : 1;
	if (left->comm && right->comm && (order = strcmp(left->comm, right->comm)))
		return order;
	for (f = 0; f < left->depth && f < right->depth; f++) {
		order = strcmp(left->frames[f], right->frames[f]);
		if (order)
			return order;
	}
	return (left->depth > right->depth) - (left->depth < right->depth);
}

struct stack_diff *stack_diff__new(const struct diff_side *before, const struct diff_side *after)
{
	const struct saved_mode *mode = after->report->mode;
	struct stack_diff *diff = calloc(1, sizeof(*diff));
	bool counted = before->interval == SAVED_END && after->interval == SAVED_END &&
		       mode->count_name;

	if (!diff)
		return NULL;
	diff->unit = mode->unit;
	diff->count_name = counted ? mode->count_name : NULL;
	diff->with_comm = every_stack_has_comm(before->report) &&
			  every_stack_has_comm(after->report);
	diff->sides[BEFORE] = stack_report__new(diff->unit, diff->count_name);
	diff->sides[AFTER] = stack_report__new(diff->unit, diff->count_name);
	diff->origins = frame_origins__new();
	if (!diff->sides[BEFORE] || !diff->sides[AFTER] || !diff->origins ||
	    add_side(diff, before, BEFORE) || add_side(diff, after, AFTER) || match(diff)) {
		stack_diff__free(diff);
		return NULL;
	}
	qsort(diff->changes, diff->length, sizeof(*diff->changes), compare_changes);
	return diff;
}

void stack_diff__free(struct stack_diff *diff)
{
	if (!diff)
		return;
	stack_report__free(diff->sides[BEFORE]);
	stack_report__free(diff->sides[AFTER]);
	frame_origins__free(diff->origins);
	free(diff->changes);
	free(diff);
}

size_t stack_diff__length(const struct stack_diff *diff)
{
	return diff->length;
}

const struct stack_change *stack_diff__change(const struct stack_diff *diff, size_t index)
{
	return index < diff->length ? &diff->changes[index] : NULL;
}

const struct stack_report *stack_diff__side(const struct stack_diff *diff, bool after)
{
	return diff->sides[after ? AFTER : BEFORE];
}

const struct frame_origins *stack_diff__origins(const struct stack_diff *diff)
{
	return diff->origins;
}

uint64_t stack_diff__total(const struct stack_diff *diff, bool after)
{
	return stack_report__total_value(stack_diff__side(diff, after));
}

void stack_diff__count(const struct stack_diff *diff, struct diff_counts *counts)
{
	const struct stack_change *change;
	int64_t delta;
	size_t i;

	*counts = (struct diff_counts){0};
	for (i = 0; i < diff->length; i++) {
		change = &diff->changes[i];
		delta = stack_change__delta(change);
		if (delta > 0) {
			counts->grew++;
			counts->growth += (uint64_t)delta;
		} else if (delta < 0) {
			counts->shrank++;
			counts->shrinkage += (uint64_t)-delta;
		} else {
			counts->unchanged++;
		}
		counts->appeared += !change->before;
		counts->gone += !change->after;
	}
}

static void write_change(const struct stack_diff *diff, const struct stack_change *change,
			 FILE *out, bool show_comm)
{
	size_t f;

	fprintf(out, "\t%+lld %s (%llu -> %llu)", (long long)stack_change__delta(change),
		diff->unit, (unsigned long long)change->before, (unsigned long long)change->after);
	if (diff->count_name)
		fprintf(out, " in %llu -> %llu %s", (unsigned long long)change->before_count,
			(unsigned long long)change->after_count, diff->count_name);
	fputs(" from stack\n", out);
	for (f = change->depth; f-- > 0;) {
		fputs("\t\t", out);
		untrusted_text__write(out, change->frames[f], NULL);
		fputc('\n', out);
	}
	if (show_comm && change->comm) {
		fputs("\t\t-  ", out);
		untrusted_text__write(out, change->comm, NULL);
		fputc('\n', out);
	}
}

/* The `top` (0: all) of `count` stacks that went `way`, from the start or (`from_end`) the end. */
static void write_list(const struct stack_diff *diff, FILE *out, size_t top, size_t count,
		       const char *way, bool from_end, bool show_comm)
{
	size_t shown = top && top < count ? top : count, i;

	if (shown < count)
		fprintf(out, "Top %zu of %zu stacks that %s, in %s:\n", shown, count, way, diff->unit);
	else
		fprintf(out, "All %zu stacks that %s, in %s:\n", count, way, diff->unit);
	for (i = 0; i < shown; i++)
		write_change(diff, &diff->changes[from_end ? diff->length - 1 - i : i], out,
			     show_comm);
}

void stack_diff__write_text(const struct stack_diff *diff, FILE *out, size_t top, bool show_comm)
{
	struct diff_counts counts;

	stack_diff__count(diff, &counts);
	write_list(diff, out, top, counts.grew, "grew", false, show_comm);
	/* The largest shrinkage is last in the diff's order. */
	write_list(diff, out, top, counts.shrank, "shrank", true, show_comm);
}

void stack_diff__write_folded(const struct stack_diff *diff, FILE *out)
{
	size_t i;

	for (i = 0; i < diff->length; i++) {
		const struct stack_change *change = &diff->changes[i];

		folded_stack__write(out, change->comm, change->frames, change->depth);
		fprintf(out, " %llu %llu\n", (unsigned long long)change->before,
			(unsigned long long)change->after);
	}
}

/* "before_allocations": the count's key on one side. */
static void write_count(struct json_writer *writer, const char *side, const char *count_name,
			uint64_t count)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_%s", side, count_name);
	json_writer__u64(writer, key, count);
}

void stack_diff__write_json(const struct stack_diff *diff, struct json_writer *writer)
{
	const struct stack_change *change;
	struct diff_counts counts;
	size_t i, f;

	stack_diff__count(diff, &counts);
	json_writer__u64(writer, "before", stack_diff__total(diff, false));
	json_writer__u64(writer, "after", stack_diff__total(diff, true));
	json_writer__i64(writer, "delta", (int64_t)stack_diff__total(diff, true) -
					  (int64_t)stack_diff__total(diff, false));
	json_writer__u64(writer, "grew", counts.grew);
	json_writer__u64(writer, "shrank", counts.shrank);
	json_writer__u64(writer, "unchanged", counts.unchanged);
	json_writer__u64(writer, "appeared", counts.appeared);
	json_writer__u64(writer, "gone", counts.gone);
	json_writer__begin_array(writer, "stacks");
	for (i = 0; i < diff->length; i++) {
		change = &diff->changes[i];
		json_writer__begin_object(writer, NULL);
		if (change->comm)
			json_writer__string(writer, "comm", change->comm);
		json_writer__begin_array(writer, "frames");
		for (f = 0; f < change->depth; f++)
			json_writer__string(writer, NULL, change->frames[f]);
		json_writer__end_array(writer);
		json_writer__u64(writer, "before", change->before);
		json_writer__u64(writer, "after", change->after);
		json_writer__i64(writer, "delta", stack_change__delta(change));
		if (diff->count_name) {
			write_count(writer, "before", diff->count_name, change->before_count);
			write_count(writer, "after", diff->count_name, change->after_count);
		}
		json_writer__end_object(writer);
	}
	json_writer__end_array(writer);
}

#include "report/stack_trends.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/growable_array.h"

struct stack_trends {
	struct stack_report *seen;	/* every stack any interval had: its index names its row */
	uint64_t **rows;		/* rows[i][s]: stack i's value at interval s */
	size_t row_capacity;
	double *times;
	size_t count;			/* intervals sampled */
	size_t time_capacity;		/* room in `times`, and in every row */
	struct stack_series *annotations;
	uint64_t *zeros;		/* the series of a stack born after the last interval */
};

struct stack_trends *stack_trends__new(void)
{
	struct stack_trends *trends = calloc(1, sizeof(*trends));

	if (!trends)
		return NULL;
	trends->seen = stack_report__new("seen", NULL);
	if (!trends->seen) {
		free(trends);
		return NULL;
	}
	return trends;
}

void stack_trends__free(struct stack_trends *trends)
{
	size_t i;

	if (!trends)
		return;
	for (i = 0; i < stack_report__length(trends->seen); i++)
		free(trends->rows[i]);
	free(trends->rows);
	free(trends->times);
	free(trends->annotations);
	free(trends->zeros);
	stack_report__free(trends->seen);
	free(trends);
}

/* Room for one more interval in `times` and in every row. */
static int reserve_interval(struct stack_trends *trends)
{
	size_t old_capacity = trends->time_capacity, stacks = stack_report__length(trends->seen);
	uint64_t *row;
	size_t i;

	if (growable_array__reserve(&trends->times, &trends->time_capacity, trends->count,
				    sizeof(*trends->times)))
		return -ENOMEM;
	if (trends->time_capacity == old_capacity)
		return 0;
	for (i = 0; i < stacks; i++) {
		row = realloc(trends->rows[i], trends->time_capacity * sizeof(*row));
		if (!row)
			return -ENOMEM;
		trends->rows[i] = row;
	}
	return 0;
}

/* The row of the stack `entry`, made (zeros for the intervals before) if new. */
static uint64_t *row_of(struct stack_trends *trends, const struct stack_entry *entry)
{
	const char *const *frames = (const char *const *)entry->frames;
	long index = stack_report__index_of(trends->seen, entry->owner, frames, entry->depth);
	size_t stacks = stack_report__length(trends->seen);

	if (index >= 0)
		return trends->rows[index];
	if (growable_array__reserve(&trends->rows, &trends->row_capacity, stacks,
				    sizeof(*trends->rows)))
		return NULL;
	trends->rows[stacks] = calloc(trends->time_capacity, sizeof(uint64_t));
	if (!trends->rows[stacks])
		return NULL;
	if (stack_report__add_owned(trends->seen, entry->owner, frames, entry->depth, 0, 0)) {
		free(trends->rows[stacks]);
		return NULL;
	}
	return trends->rows[stacks];
}

int stack_trends__sample(struct stack_trends *trends, const struct stack_report *report,
			 double elapsed_s)
{
	size_t i, stacks;
	uint64_t *row;

	if (reserve_interval(trends))
		return -ENOMEM;
	/* Every stack seen before is 0 now unless the report says otherwise. */
	stacks = stack_report__length(trends->seen);
	for (i = 0; i < stacks; i++)
		trends->rows[i][trends->count] = 0;
	for (i = 0; i < stack_report__length(report); i++) {
		row = row_of(trends, stack_report__entry(report, i));
		if (!row)
			return -ENOMEM;
		row[trends->count] = stack_report__entry(report, i)->value;
	}
	trends->times[trends->count++] = elapsed_s;
	return 0;
}

size_t stack_trends__count(const struct stack_trends *trends)
{
	return trends->count;
}

const double *stack_trends__times(const struct stack_trends *trends)
{
	return trends->times;
}

int stack_trends__annotate(struct stack_trends *trends, struct stack_report *report)
{
	size_t i, length = stack_report__length(report);
	const struct stack_entry *entry;
	struct stack_series *series;
	long index;

	free(trends->annotations);
	free(trends->zeros);
	trends->annotations = calloc(length ? length : 1, sizeof(*trends->annotations));
	trends->zeros = calloc(trends->count ? trends->count : 1, sizeof(*trends->zeros));
	if (!trends->annotations || !trends->zeros)
		return -ENOMEM;
	for (i = 0; i < length; i++) {
		entry = stack_report__entry(report, i);
		index = stack_report__index_of(trends->seen, entry->owner,
					       (const char *const *)entry->frames, entry->depth);
		series = &trends->annotations[i];
		/* Born after the last interval: a series of zeros, unclassified. */
		series->values = index >= 0 ? trends->rows[index] : trends->zeros;
		series->length = trends->count;
		series->class_name = trend_class__name(trend_classify(series->values, series->length));
		stack_report__set_series(report, i, series);
	}
	return 0;
}

/* Never back down to where it stood at the first interval. */
static int stays_above_start(const uint64_t *series, size_t length)
{
	size_t i;

	for (i = 1; i < length; i++) {
		if (series[i] <= series[0])
			return 0;
	}
	return 1;
}

enum trend_class trend_classify(const uint64_t *series, size_t length)
{
	size_t i, steps, rises = 0, falls = 0, held_from;
	uint64_t peak = 0;

	if (length < TREND_MIN_SAMPLES)
		return TREND_UNCLASSIFIED;
	steps = length - 1;
	for (i = 0; i < length; i++)
		peak = series[i] > peak ? series[i] : peak;
	if (!peak)
		return TREND_UNCLASSIFIED;
	for (i = 1; i < length; i++) {
		rises += series[i] > series[i - 1];
		falls += series[i] < series[i - 1];
	}
	/* Up in at least two intervals of three, and never back to its start. */
	if (3 * rises >= 2 * steps && stays_above_start(series, length))
		return TREND_LEAK_SUSPECT;
	/*
	 * Rose, then held: no rise over the last third of the intervals, ending
	 * within 10% of its peak, having fallen in at most one interval of three.
	 */
	held_from = length - (steps + 2) / 3;
	for (i = held_from; i < length; i++) {
		if (series[i] > series[i - 1])
			return TREND_TRANSIENT;
	}
	if (10 * series[length - 1] >= 9 * peak && 3 * falls <= steps)
		return TREND_PLATEAU;
	return TREND_TRANSIENT;
}

enum trend_class trend_class__of(const struct stack_entry *entry)
{
	if (!entry->series)
		return TREND_UNCLASSIFIED;
	return trend_classify(entry->series->values, entry->series->length);
}

const char *trend_class__name(enum trend_class class)
{
	switch (class) {
	case TREND_LEAK_SUSPECT:
		return "leak suspect";
	case TREND_PLATEAU:
		return "plateau";
	case TREND_TRANSIENT:
		return "transient";
	default:
		return "unclassified";
	}
}

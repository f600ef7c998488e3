/*
 * How each stack's figure moved over a trace taken in intervals (-i): its
 * series, one value per interval, and the class that series falls in. This
 * is what tells a leak (keeps rising) from a cache (rose, then held) and from
 * requests in flight (rise and fall).
 */
#ifndef STACK_TRENDS_H
#define STACK_TRENDS_H

#include <stddef.h>
#include <stdint.h>

#include "report/stack_report.h"

enum trend_class {
	TREND_UNCLASSIFIED,	/* fewer than TREND_MIN_SAMPLES intervals */
	TREND_LEAK_SUSPECT,
	TREND_PLATEAU,
	TREND_TRANSIENT,
};

/* Below this many intervals a series says too little to be classed. */
#define TREND_MIN_SAMPLES 4

struct stack_trends;

struct stack_trends *stack_trends__new(void);
void stack_trends__free(struct stack_trends *trends);

/* Records one interval: every stack's value in `report` at `elapsed_s`. Returns 0 or -ENOMEM. */
int stack_trends__sample(struct stack_trends *trends, const struct stack_report *report,
			 double elapsed_s);

size_t stack_trends__count(const struct stack_trends *trends);
/* When each interval was sampled, in seconds since tracing began. */
const double *stack_trends__times(const struct stack_trends *trends);

/*
 * Gives every stack of `report` its series (see stack_entry.series), one
 * value per interval sampled (0 before the stack appeared), and the name of
 * its class; a stack never sampled gets a series of zeros.
 * The trends must outlive the report's writers. Returns 0 or -ENOMEM.
 */
int stack_trends__annotate(struct stack_trends *trends, struct stack_report *report);

/* The class of one series, by the rule in memstacks(8). */
enum trend_class trend_classify(const uint64_t *series, size_t length);
/* The class of a stack by its series; TREND_UNCLASSIFIED for one without. */
enum trend_class trend_class__of(const struct stack_entry *entry);
/* "leak suspect", "plateau", "transient" or "unclassified". */
const char *trend_class__name(enum trend_class class);

#endif

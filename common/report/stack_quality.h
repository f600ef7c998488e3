/*
 * How complete the stacks of a report are: how many reached the thread's
 * root (main, or what starts a thread or the process), and how many the walk
 * left truncated. A stack cut short names the wrong code as the cause.
 */
#ifndef STACK_QUALITY_H
#define STACK_QUALITY_H

#include <stdint.h>
#include <stdio.h>

#include "report/json_writer.h"
#include "report/stack_report.h"

struct stack_quality {
	uint64_t stacks;
	uint64_t reached_root;
	uint64_t value;			/* in the report's unit, over all stacks */
	uint64_t value_reached_root;	/* of the stacks that reached the root */
};

void stack_quality__measure(const struct stack_report *report, struct stack_quality *quality);

/* "N of M stacks (P% of the <unit>) reached the thread's root" */
void stack_quality__print(const struct stack_quality *quality, const char *unit, FILE *out);

/* "stack_quality":{"stacks","reached_root","truncated","<unit>_reached_root"} */
void stack_quality__write_json(const struct stack_quality *quality, const char *unit,
			       struct json_writer *writer);

#endif

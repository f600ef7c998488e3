/*
 * A saved report read back by --diff. The file may be anything (cut short,
 * edited by hand, another program's JSON): the reader must refuse what is not
 * a report with a reason, never crash or leak, and what it accepts must hold
 * every bound it promises (saved_report.h), which the diff then relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/saved_report.h"

static const struct saved_mode modes[] = {
	{"unfreed", "bytes", "allocations", "unfreed allocations"},
	{"all-faults", "faults", NULL, "page faults"},
	{0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct saved_report *report;
	uint64_t total = 0;
	char why[256];

	why[0] = '\0';
	report = saved_report__parse((const char *)data, size, "fuzz.json", "memstacks", modes,
				     why, sizeof(why));
	if (!report) {
		/* A refusal always says why. */
		if (!why[0] || !memchr(why, '\0', sizeof(why)))
			abort();
		return 0;
	}
	for (size_t i = 0; i < report->stack_count; i++) {
		const struct saved_stack *stack = &report->stacks[i];

		if (stack->depth > SAVED_MAX_DEPTH || stack->value > SAVED_MAX_VALUE)
			abort();
		for (size_t f = 0; f < stack->depth; f++) {
			if (strlen(stack->frames[f]) > SAVED_MAX_NAME)
				abort();
		}
		for (size_t n = 0; n < report->interval_count; n++) {
			if (saved_stack__value(stack, n) > SAVED_MAX_VALUE)
				abort();
		}
		total += stack->value;
	}
	if (total > SAVED_MAX_VALUE)
		abort();
	saved_report__free(report);
	return 0;
}

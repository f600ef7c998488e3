/*
 * memstacks -a: requests that could not succeed, larger than the target's user
 * address space. They are left out of every other figure and shown apart, per
 * stack, from a stack_report whose value is a stack's largest request and
 * whose count is its requests (stack_report__add_largest). A NULL report is
 * unfreed mode, where a failure is known by its NULL and counts nothing: the
 * writers then write nothing.
 */
#ifndef FAILED_REQUESTS_H
#define FAILED_REQUESTS_H

#include <stdio.h>

#include "report/json_writer.h"
#include "report/stack_report.h"

/* An empty report of them, or NULL without memory. */
struct stack_report *failed_requests__new(void);

/* After the text report: each stack with failed requests, leaf first; nothing when none. */
void failed_requests__write_text(const struct stack_report *failed, FILE *out);

/* "; N requests that could not succeed left out (the largest M bytes)"; nothing when none. */
void failed_requests__print_summary(const struct stack_report *failed, FILE *out);

/*
 * "failed_requests": {"requests": N, "largest_bytes": M, "stacks": [{"frames":
 * [...], "largest_bytes": m, "requests": n}, ...]}, also when there are none.
 */
void failed_requests__write_json(const struct stack_report *failed,
				 const struct frame_origins *origins, struct json_writer *writer);

#endif

/*
 * What a trace could not record, and which of its figures that leaves exact.
 * Both tools count their losses by kind in BPF; this is what the user reads
 * of them: one phrase on the summary line, and "lost_events" and "exact" in JSON.
 */
#ifndef TRACE_LOSSES_H
#define TRACE_LOSSES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report/json_writer.h"

enum loss_effect {
	LOST_FROM_TOTAL,	/* the event is not counted at all: the total is a lower bound */
	LOST_STACK_ONLY,	/* counted, but not under its own stack: the total stays exact */
};

struct trace_losses {
	uint64_t events;
	bool total_exact;
	bool stacks_exact;
};

void trace_losses__init(struct trace_losses *losses);
void trace_losses__add(struct trace_losses *losses, uint64_t count, enum loss_effect effect);

/*
 * "; nothing lost, every figure exact", or how many events were lost and what
 * that leaves exact: the end of a tool's summary line.
 */
void trace_losses__print(const struct trace_losses *losses, FILE *out);

/* "lost_events": N, "exact": {"total": …, "stacks": …} */
void trace_losses__write_json(const struct trace_losses *losses, struct json_writer *writer);

#endif

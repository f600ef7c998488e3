#include "report/trace_losses.h"

void trace_losses__init(struct trace_losses *losses)
{
	*losses = (struct trace_losses){.events = 0, .total_exact = true, .stacks_exact = true};
}

void trace_losses__add(struct trace_losses *losses, uint64_t count, enum loss_effect effect)
{
	if (!count)
		return;
	losses->events += count;
	/* An event missing from the total is missing from its stack too. */
	losses->stacks_exact = false;
	if (effect == LOST_FROM_TOTAL)
		losses->total_exact = false;
}

void trace_losses__print(const struct trace_losses *losses, FILE *out)
{
	if (!losses->events)
		fputs("; nothing lost, every figure exact", out);
	else if (losses->total_exact)
		fprintf(out, "; %llu events lost: the total is exact, the stacks' figures are lower bounds",
			(unsigned long long)losses->events);
	else
		fprintf(out, "; %llu events lost: every figure is a lower bound",
			(unsigned long long)losses->events);
}

void trace_losses__write_json(const struct trace_losses *losses, struct json_writer *writer)
{
	json_writer__u64(writer, "lost_events", losses->events);
	json_writer__begin_object(writer, "exact");
	json_writer__bool(writer, "total", losses->total_exact);
	json_writer__bool(writer, "stacks", losses->stacks_exact);
	json_writer__end_object(writer);
}

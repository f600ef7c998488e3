#include "failed_requests.h"

#include <stdint.h>

/* The report's names double as the JSON keys of each stack. */
struct stack_report *failed_requests__new(void)
{
	return stack_report__new("largest_bytes", "requests");
}

static const char *requests_word(uint64_t count)
{
	return count == 1 ? "request" : "requests";
}

void failed_requests__write_text(const struct stack_report *failed, FILE *out)
{
	size_t i, length;

	if (!failed || !stack_report__total_count(failed))
		return;
	length = stack_report__length(failed);
	fprintf(out, "%zu %s with requests that could not succeed, left out of the figures above:\n",
		length, length == 1 ? "stack" : "stacks");
	for (i = 0; i < length; i++) {
		const struct stack_entry *entry = stack_report__entry(failed, i);

		fprintf(out, "\t%llu %s, the largest %llu bytes, from stack\n",
			(unsigned long long)entry->count, requests_word(entry->count),
			(unsigned long long)entry->value);
		stack_entry__write_frames(entry, out);
	}
}

void failed_requests__print_summary(const struct stack_report *failed, FILE *out)
{
	uint64_t count = failed ? stack_report__total_count(failed) : 0;

	if (count)
		fprintf(out, "; %llu %s that could not succeed left out (the largest %llu bytes)",
			(unsigned long long)count, requests_word(count),
			(unsigned long long)stack_report__total_value(failed));
}

void failed_requests__write_json(const struct stack_report *failed,
				 const struct frame_origins *origins, struct json_writer *writer)
{
	if (!failed)
		return;
	json_writer__begin_object(writer, "failed_requests");
	json_writer__u64(writer, "requests", stack_report__total_count(failed));
	json_writer__u64(writer, "largest_bytes", stack_report__total_value(failed));
	stack_report__write_json(failed, origins, writer);
	json_writer__end_object(writer);
}

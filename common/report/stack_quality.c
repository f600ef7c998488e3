#include "report/stack_quality.h"

#include <string.h>

/*
 * What a complete walk passes on its way out: main and the C library's start
 * for the main thread, start_thread and clone for the others. Any of them
 * counts, not only the outermost frame: a stripped executable's _start has
 * no name, and a frame-pointer walk ends at main.
 */
static const char *const root_functions[] = {
	"main", "__libc_start_call_main", "__libc_start_main", "_start",
	"start_thread", "clone", "clone3", "__clone", "__clone3", "__clone_internal",
};

static int is_root(const char *function)
{
	for (size_t i = 0; i < sizeof(root_functions) / sizeof(root_functions[0]); i++)
		if (!strcmp(function, root_functions[i]))
			return 1;
	return 0;
}

static int reached_root(const struct stack_entry *entry)
{
	for (size_t i = 0; i < entry->depth; i++)
		if (is_root(entry->frames[i]))
			return 1;
	return 0;
}

void stack_quality__measure(const struct stack_report *report, struct stack_quality *quality)
{
	*quality = (struct stack_quality){0};
	for (size_t i = 0; i < stack_report__length(report); i++) {
		const struct stack_entry *entry = stack_report__entry(report, i);
		int reached = reached_root(entry);

		quality->stacks++;
		quality->value += entry->value;
		quality->reached_root += reached;
		quality->value_reached_root += reached ? entry->value : 0;
	}
}

static double percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 100.0;
}

void stack_quality__print(const struct stack_quality *quality, const char *unit, FILE *out)
{
	fprintf(out, "%llu of %llu stacks (%.1f%% of the %s) reached the thread's root",
		(unsigned long long)quality->reached_root, (unsigned long long)quality->stacks,
		percent(quality->value_reached_root, quality->value), unit);
}

void stack_quality__write_json(const struct stack_quality *quality, const char *unit,
			       struct json_writer *writer)
{
	char key[64];

	json_writer__begin_object(writer, "stack_quality");
	json_writer__u64(writer, "stacks", quality->stacks);
	json_writer__u64(writer, "reached_root", quality->reached_root);
	json_writer__u64(writer, "truncated", quality->stacks - quality->reached_root);
	snprintf(key, sizeof(key), "%s_reached_root", unit);
	json_writer__u64(writer, key, quality->value_reached_root);
	json_writer__end_object(writer);
}

#include "trace/diff_run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/errors.h"
#include "report/flamegraph_svg.h"
#include "report/stack_diff.h"
#include "report/untrusted_text.h"
#include "trace/report_output.h"

/* The two sides, from two files or from one file's first and last interval. */
struct diff_inputs {
	struct saved_report *before;
	struct saved_report *after;	/* the same as before for intervals */
	struct diff_side sides[2];
};

static void diff_inputs__free(struct diff_inputs *inputs)
{
	if (inputs->after != inputs->before)
		saved_report__free(inputs->after);
	saved_report__free(inputs->before);
}

/* One report with -i's intervals: its first against its last. 0 or -EINVAL after saying why. */
static int take_intervals(struct diff_inputs *inputs)
{
	size_t count = inputs->before->interval_count;

	if (count < 2) {
		print_error("cannot compare the intervals of %s: it has %s (trace with -i for two intervals or more, or give two files: --diff BEFORE.json AFTER.json)",
			    inputs->before->name,
			    count ? "only one interval" : "none, written without -i");
		return -EINVAL;
	}
	inputs->after = inputs->before;
	inputs->sides[0] = (struct diff_side){inputs->before, 0};
	inputs->sides[1] = (struct diff_side){inputs->after, count - 1};
	return 0;
}

/* Reads both sides and checks that they compare. 0, or -errno after saying why. */
static int read_inputs(struct diff_inputs *inputs, const char *tool,
		       const struct saved_mode *modes, const struct cli_settings *settings)
{
	*inputs = (struct diff_inputs){0};
	inputs->before = saved_report__read(settings->diff_before, tool, modes);
	if (!inputs->before)
		return -EINVAL;
	if (!settings->diff_after)
		return take_intervals(inputs);
	inputs->after = saved_report__read(settings->diff_after, tool, modes);
	if (!inputs->after)
		return -EINVAL;
	if (inputs->before->mode != inputs->after->mode) {
		print_error("cannot compare %s with %s: one holds %s, the other %s (compare two reports of the same mode)",
			    inputs->before->name, inputs->after->name, inputs->before->mode->words,
			    inputs->after->mode->words);
		return -EINVAL;
	}
	inputs->sides[0] = (struct diff_side){inputs->before, SAVED_END};
	inputs->sides[1] = (struct diff_side){inputs->after, SAVED_END};
	return 0;
}

/* "before.json", or "run.json, interval 30 of 30": a side as the outputs name it. */
static void side_name(const struct diff_side *side, char *name, size_t size)
{
	char escaped[256];

	untrusted_text__escape(side->report->name, escaped, sizeof(escaped));
	if (side->interval == SAVED_END)
		snprintf(name, size, "%s", escaped);
	else
		snprintf(name, size, "%s, interval %zu of %zu", escaped, side->interval + 1,
			 side->report->interval_count);
}

/* "PID 181 (redis-server), 30.00 s", or the set's words. */
static void traced_words(const struct saved_report *report, char *words, size_t size)
{
	char escaped[256];

	if (report->comm) {
		untrusted_text__escape(report->comm, escaped, sizeof(escaped));
		snprintf(words, size, "PID %lld (%s), %.2f s", report->pid, escaped,
			 report->duration_s);
	} else {
		untrusted_text__escape(report->scope ? report->scope : "a set", escaped,
				       sizeof(escaped));
		snprintf(words, size, "%s, %.2f s", escaped, report->duration_s);
	}
}

static void print_summary(const struct diff_inputs *inputs, const struct stack_diff *diff)
{
	const char *unit = inputs->before->mode->unit;
	char name[384], words[384];
	struct diff_counts counts;
	uint64_t before = stack_diff__total(diff, false), after = stack_diff__total(diff, true);
	int i;

	for (i = 0; i < 2; i++) {
		side_name(&inputs->sides[i], name, sizeof(name));
		traced_words(inputs->sides[i].report, words, sizeof(words));
		fprintf(stderr, "%s: %s: %s: %s, %s\n", program_name, i ? "after" : "before", name,
			inputs->sides[i].report->mode->words, words);
	}
	stack_diff__count(diff, &counts);
	fprintf(stderr, "%s: %llu -> %llu %s (%+lld): %zu stacks grew (+%llu), %zu shrank (-%llu), %zu unchanged; %zu appeared, %zu gone\n",
		program_name, (unsigned long long)before, (unsigned long long)after, unit,
		(long long)after - (long long)before, counts.grew,
		(unsigned long long)counts.growth, counts.shrank,
		(unsigned long long)counts.shrinkage, counts.unchanged, counts.appeared,
		counts.gone);
	if (inputs->after == inputs->before)
		fprintf(stderr, "%s: a stack freed before the trace's end is not in its JSON: the intervals show the stacks left at the end\n",
			program_name);
}

static void write_side_json(struct json_writer *writer, const char *which,
			    const struct diff_side *side)
{
	char key[32];

	snprintf(key, sizeof(key), "%s_file", which);
	json_writer__string(writer, key, side->report->name);
	if (side->interval != SAVED_END) {
		snprintf(key, sizeof(key), "%s_interval", which);
		json_writer__u64(writer, key, side->interval + 1);
	}
}

static int write_json(struct output_file *file, const struct diff_inputs *inputs,
		      const struct stack_diff *diff)
{
	struct json_writer writer;

	json_writer__init(&writer, output_file__stream(file));
	json_writer__begin_object(&writer, NULL);
	json_writer__string(&writer, "tool", inputs->before->tool);
	json_writer__string(&writer, "mode", inputs->before->mode->name);
	json_writer__string(&writer, "unit", inputs->before->mode->unit);
	write_side_json(&writer, "before", &inputs->sides[0]);
	write_side_json(&writer, "after", &inputs->sides[1]);
	stack_diff__write_json(diff, &writer);
	json_writer__end_object(&writer);
	return output_file__commit(file);
}

static int write_svg(struct output_file *file, const struct diff_inputs *inputs,
		     const struct stack_diff *diff)
{
	const struct saved_mode *mode = inputs->before->mode;
	char title[128], before[384], after[384], subtitle[1024];
	uint64_t before_total = stack_diff__total(diff, false);
	uint64_t after_total = stack_diff__total(diff, true);
	int err;

	snprintf(title, sizeof(title), "Differential flame graph: %s", mode->words);
	/* The names go in raw: the SVG writer escapes the whole subtitle. */
	side_name(&inputs->sides[0], before, sizeof(before));
	side_name(&inputs->sides[1], after, sizeof(after));
	snprintf(subtitle, sizeof(subtitle), "%s -> %s: %llu -> %llu %s (%+lld); width by after",
		 before, after, (unsigned long long)before_total, (unsigned long long)after_total,
		 mode->unit, (long long)after_total - (long long)before_total);
	err = flamegraph_svg__write_diff(output_file__stream(file), stack_diff__side(diff, false),
					 stack_diff__side(diff, true),
					 &(struct flamegraph_labels){title, subtitle, mode->unit},
					 stack_diff__origins(diff));
	if (err) {
		print_error("cannot draw the flame graph: %s", strerror(-err));
		return err;
	}
	return output_file__commit(file);
}

int diff_run(const char *tool, const struct saved_mode *modes,
	     const struct cli_settings *settings)
{
	struct diff_inputs inputs = {0};
	struct stack_diff *diff = NULL;
	struct report_files files;
	int err;

	/* Files first, as a trace makes them: a path that cannot be written fails at once. */
	err = report_files__create(&files, settings);
	err = err ?: read_inputs(&inputs, tool, modes, settings);
	if (!err) {
		diff = stack_diff__new(&inputs.sides[0], &inputs.sides[1]);
		if (!diff) {
			print_error("cannot compare the reports: out of memory");
			err = -ENOMEM;
		}
	}
	if (!err) {
		if (settings->folded)
			stack_diff__write_folded(diff, stdout);
		else
			stack_diff__write_text(diff, stdout, settings->top,
					       !inputs.before->comm || !inputs.after->comm);
		fflush(stdout);
		print_summary(&inputs, diff);
	}
	if (!err && files.json)
		err = write_json(files.json, &inputs, diff);
	if (!err && files.svg)
		err = write_svg(files.svg, &inputs, diff);
	stack_diff__free(diff);
	diff_inputs__free(&inputs);
	report_files__free(&files);
	return err ? 1 : 0;
}

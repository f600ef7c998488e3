/*
 * The report writers on a fixed report whose stacks belong to processes
 * (stack_owner), one a hostile comm: prints each output after a "== NAME =="
 * line, for tests/test_report_writers.py. No BPF, no root: the writers alone.
 * With a path, it also writes the report there as a pprof profile
 * (tests/test_pprof.py).
 */
#include <stdio.h>
#include <string.h>

#include "report/flamegraph_svg.h"
#include "report/json_writer.h"
#include "report/pprof_profile.h"
#include "report/process_totals.h"
#include "report/stack_report.h"
#include "report/stack_trends.h"

#define DEPTH(frames) (sizeof(frames) / sizeof(frames[0]))

static const char *const handle_malloc[] = {"main", "handle", "malloc"};
static const char *const grow[] = {"main", "grow"};
static const char *const other[] = {"main", "other"};

/* The same stack in two processes, merged within each; a pid keeps its first comm. */
static int fill(struct stack_report *report)
{
	char comm[] = "redis-server";
	struct stack_owner redis = {100, comm};
	const struct stack_owner worker = {200, "worker;\x1b[1m"};
	const struct stack_owner renamed = {100, "renamed"};
	int err;

	err = stack_report__add_owned(report, &redis, handle_malloc, 3, 4096, 2) ?:
	      stack_report__add_owned(report, &worker, handle_malloc, 3, 1000, 1) ?:
	      stack_report__add_owned(report, &redis, handle_malloc, 3, 4096, 2) ?:
	      stack_report__add_owned(report, &worker, grow, 2, 500, 5) ?:
	      stack_report__add_owned(report, &renamed, other, 2, 10, 1);
	/* The report keeps its own copy: the caller's comm may change or go. */
	strcpy(comm, "gone");
	stack_report__sort(report);
	return err;
}

static void begin_json(struct json_writer *writer)
{
	json_writer__init(writer, stdout);
	json_writer__begin_object(writer, NULL);
}

static int write_totals(const struct stack_report *report)
{
	const struct stack_owner idle = {300, "idle"}, worker = {200, "worker;\x1b[1m"};
	const struct stack_owner redis = {100, "redis-server"};
	struct process_totals *totals = process_totals__from_report(report);
	struct json_writer writer;

	if (!totals || process_totals__set_rss(totals, &redis, 10000, 18500) ||
	    process_totals__set_exited(totals, &worker) ||
	    process_totals__set_rss(totals, &idle, 2000, 1800)) {
		process_totals__free(totals);
		return 1;
	}
	puts("== process totals text ==");
	process_totals__write_text(totals, stdout);
	puts("== process totals json ==");
	begin_json(&writer);
	process_totals__write_json(totals, &writer);
	json_writer__end_object(&writer);
	process_totals__free(totals);
	return 0;
}

/* Two intervals: a stack's series follows its own process, not its namesake in another. */
static int write_trends(void)
{
	const struct stack_owner a = {1, "a"}, b = {2, "b"};
	struct stack_trends *trends = stack_trends__new();
	struct stack_report *first = stack_report__new("bytes", "allocations");
	struct stack_report *second = stack_report__new("bytes", "allocations");
	struct json_writer writer;
	int err = !trends || !first || !second;

	if (!err)
		err = stack_report__add_owned(first, &a, grow, 2, 10, 1) ?:
		      stack_report__add_owned(first, &b, grow, 2, 70, 1) ?:
		      stack_trends__sample(trends, first, 1.0) ?:
		      stack_report__add_owned(second, &a, grow, 2, 20, 2) ?:
		      stack_report__add_owned(second, &b, grow, 2, 30, 1) ?:
		      stack_trends__sample(trends, second, 2.0) ?:
		      stack_trends__annotate(trends, second);
	if (!err) {
		stack_report__sort(second);
		puts("== trends json ==");
		begin_json(&writer);
		stack_report__write_json(second, NULL, &writer);
		json_writer__end_object(&writer);
	}
	stack_report__free(first);
	stack_report__free(second);
	stack_trends__free(trends);
	return err ? 1 : 0;
}

/* The report as a memstacks profile at `path`, each stack labelled with its own process. */
static int write_pprof(const struct stack_report *report, const char *path)
{
	static const struct pprof_sample_type types[] = {{"inuse_objects", "count", true, 1},
							 {"inuse_space", "bytes", false, 1}};
	const struct pprof_kind kind = {types, 2, 1, "space", "bytes"};
	const struct pprof_description description = {&kind, 0, 0, "3 processes", NULL};
	FILE *out = fopen(path, "w");
	int err;

	if (!out)
		return 1;
	err = pprof_profile__write(out, report, NULL, &description);
	return fclose(out) || err;
}

int main(int argc, char **argv)
{
	struct stack_report *report = stack_report__new("bytes", "allocations");
	const struct flamegraph_labels labels = {"Unfreed allocations", "3 processes", "bytes"};
	struct json_writer writer;
	int exit_code = 1;

	if (!report || fill(report))
		goto out;
	puts("== text ==");
	stack_report__write_text(report, stdout, 0);
	puts("== brief ==");
	stack_report__write_brief(report, stdout, 3, 2);
	puts("== folded ==");
	stack_report__write_folded(report, stdout, "unused");
	puts("== json ==");
	begin_json(&writer);
	stack_report__write_json(report, NULL, &writer);
	json_writer__end_object(&writer);
	if (write_totals(report) || write_trends() || (argc > 1 && write_pprof(report, argv[1])))
		goto out;
	puts("== svg ==");
	if (flamegraph_svg__write(stdout, report, &labels, NULL))
		goto out;
	exit_code = 0;
out:
	stack_report__free(report);
	return exit_code;
}

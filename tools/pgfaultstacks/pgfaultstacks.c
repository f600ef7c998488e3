/*
 * pgfaultstacks: which call stacks made a running process's RSS grow, counted
 * in pages faulted in while tracing that are still resident at its end.
 *
 * parse -> check -> compile BPF -> attach -> trace -> check residency -> report -> clean up.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "trace/bcc_module.h"
#include "trace/cli.h"
#include "base/errors.h"
#include "trace/image_follower.h"
#include "trace/interval_sampler.h"
#include "report/json_writer.h"
#include "page_residency.h"
#include "pgfaultstacks.h"
#include "pgfaultstacks_report.h"
#include "report/report_output.h"
#include "report/stack_report.h"
#include "process/symbolizer.h"
#include "trace/target.h"
#include "trace/tool_start.h"
#include "trace/trace_session.h"

extern const char pgfaultstacks_bpf_text[];

struct settings {
	struct cli_settings common;	/* target, output, duration */
	bool all_faults;		/* --all-faults: every fault, nothing filtered */
	uint64_t max_pages;		/* --max-pages */
};

#define DEFAULT_MAX_PAGES 1048576	/* 4 GiB of 4 KiB pages */
/* munmap, mremap and madvise calls that drop or move pages, logged while tracing. */
#define MAX_RELEASED 65536

enum pgfaultstacks_option {
	OPT_ALL_FAULTS = CLI_OPT_FIRST_TOOL_OPTION,
	OPT_MAX_PAGES,
};

static const char help_text[] =
	"Usage: pgfaultstacks [-h] [-p PID | -c COMMAND] [-t TID] [-i SECONDS] [-f] [-T N]\n"
	"                     [--all-faults] [--json FILE] [--svg FILE]\n"
	"                     [--stack-storage-size N] [--max-pages N] [--unwind MODE] [-v]\n"
	"                     [duration]\n"
	"\n"
	"Show the call stacks whose page faults made a running process's RSS grow, in pages\n"
	"faulted in while tracing and still resident at its end.\n"
	"\n"
	"positional arguments:\n"
	"  duration              seconds to trace (default: until Ctrl-C or the target exits)\n"
	"\n"
	"options:\n"
	"  -h, --help            show this help and exit\n"
	"  -p, --pid PID         trace this process\n"
	"  -t, --tid TID         trace only the faults of this thread (of -p PID, or of its own process)\n"
	"  -c, --command CMD     run CMD (one quoted argument) and trace it from its first fault\n"
	"  -i, --interval SECONDS\n"
	"                        print the resident pages every SECONDS, and class each stack\n"
	"                        by its series: leak suspect, plateau or transient\n"
	"  -f, --folded          print folded stacks (comm;root;...;leaf PAGES) for flame graphs\n"
	"  -T, --top N           show the N largest stacks in the text report (default 10, 0 for all)\n"
	"      --all-faults      count every page fault per stack, nothing filtered (what perf\n"
	"                        and stackcount count)\n"
	"      --json FILE       also write the report as JSON to FILE\n"
	"      --svg FILE        also write an interactive flame graph to FILE\n"
	"      --stack-storage-size N\n"
	"                        distinct stacks the BPF stack map holds (default 16384)\n"
	"      --max-pages N     pages recorded at once (default 1048576)\n"
	"      --unwind MODE     how stacks are walked: fp (frame pointers), cfi (the unwind\n"
	"                        tables of every object's .eh_frame), or auto (tables for\n"
	"                        objects built without frame pointers; the default)\n"
	"  -v, --verbose         say what was attached\n"
	"      --ebpf            print the BPF program as it will be compiled, and exit\n"
	"\n"
	"examples:\n"
	"  pgfaultstacks -p 181           # resident pages faulted in by PID 181, until Ctrl-C\n"
	"  pgfaultstacks -p 181 30        # ... for 30 seconds\n"
	"  pgfaultstacks -p 181 -i 10 300 # resident pages every 10 s for 5 minutes, and\n"
	"                                 # which stacks keep growing\n"
	"  pgfaultstacks -p 181 -f 30 > out.folded\n"
	"                                 # folded stacks, for flamegraph.pl --countname=pages\n"
	"  pgfaultstacks --all-faults -p 181 10\n"
	"                                 # every fault, as perf and stackcount count them\n"
	"  pgfaultstacks -c './server --port 8080' 60\n"
	"                                 # start a command and trace it from its first fault\n"
	"  pgfaultstacks -p 181 --json out.json -T 5\n"
	"                                 # the 5 largest stacks, and everything as JSON\n"
	"  pgfaultstacks -p 181 --unwind fp\n"
	"                                 # stacks by frame pointers only: cheaper, but cut\n"
	"                                 # short in code built without them\n"
	"  pgfaultstacks -p 181 --svg pages.svg 30\n"
	"                                 # a flame graph of 30 seconds' resident pages\n";

static enum cli_result parse_option(int option, const char *value, void *tool_settings)
{
	struct settings *settings = tool_settings;

	switch (option) {
	case OPT_ALL_FAULTS:
		settings->all_faults = true;
		return CLI_CONTINUE;
	case OPT_MAX_PAGES:
		return cli_parse_number("--max-pages", value, 1, 1 << 28, &settings->max_pages);
	default:
		return CLI_NOT_MINE;
	}
}

/* Returns CLI_CONTINUE to go on, else the exit code. */
static enum cli_result parse_settings(int argc, char **argv, struct settings *settings)
{
	static const struct option options[] = {
		CLI_LONG_OPTIONS,
		{"all-faults", no_argument, NULL, OPT_ALL_FAULTS},
		{"max-pages", required_argument, NULL, OPT_MAX_PAGES},
		{0},
	};
	enum cli_result result;

	*settings = (struct settings){.max_pages = DEFAULT_MAX_PAGES};
	cli_settings__init(&settings->common);
	result = cli_parse(argc, argv, "", options, parse_option, settings, &settings->common,
			   help_text);
	/* Faults only add up: there is no series of what is held to class. */
	if (result == CLI_CONTINUE && settings->all_faults && settings->common.interval_s)
		return cli_usage_error("-i follows resident pages: drop --all-faults");
	return result;
}

static int build_defines(const void *tool_settings, pid_t pid, struct bpf_defines *defines)
{
	const struct settings *settings = tool_settings;
	int err = 0;

	err = err ?: bpf_defines__add(defines, "TARGET_TGID", pid);
	err = err ?: bpf_defines__add(defines, "TARGET_TID", settings->common.tid);
	err = err ?: bpf_defines__add(defines, "MODE_ALL_FAULTS", settings->all_faults);
	err = err ?: bpf_defines__add(defines, "STACK_STORAGE_SIZE",
				      settings->common.stack_storage_size);
	err = err ?: bpf_defines__add(defines, "MAX_PAGES", settings->max_pages);
	err = err ?: bpf_defines__add(defines, "MAX_RELEASED", MAX_RELEASED);
	return err;
}

static int attach(const struct settings *settings, struct bcc_module *program)
{
	/* The last two log released and moved memory, which --all-faults does not need. */
	static const char *const tracepoints[] = {"page_fault_user", "page_fault_kernel",
						  "sys_enter", "sys_exit"};
	size_t count = sizeof(tracepoints) / sizeof(tracepoints[0]) - 2 * settings->all_faults;
	char function[64];
	size_t i;
	int err;

	for (i = 0; i < count; i++) {
		snprintf(function, sizeof(function), "raw_tracepoint__%s", tracepoints[i]);
		err = bcc_module__attach_raw_tracepoint(program, function, tracepoints[i]);
		if (err)
			return err;
		if (settings->common.verbose)
			fprintf(stderr, "%s: attached to the %s raw tracepoint\n", program_name,
				tracepoints[i]);
	}
	return 0;
}

/* Faults are not pages: --all-faults attributes no memory. */
static int64_t attributed_kb(const struct settings *settings, const struct stack_report *report)
{
	return settings->all_faults ? -1 : (int64_t)(stack_report__total_value(report) * PAGE_SIZE_4K / 1024);
}

/* What the counters lost, and what that leaves exact. */
static struct trace_losses losses_of(const struct pgfault_totals *totals)
{
	const uint64_t *counters = totals->counters;
	struct trace_losses losses;

	trace_losses__init(&losses);
	/* Pages whose stack was missed still count, under [Missed User Stack]. */
	trace_losses__add(&losses, counters[COUNT_LOST_STACKS], LOST_STACK_ONLY);
	trace_losses__add(&losses, counters[COUNT_LOST_PAGES], LOST_FROM_TOTAL);
	trace_losses__add(&losses, counters[COUNT_LOST_FAULT_STACKS], LOST_FROM_TOTAL);
	/* The residency check still counts such pages, maybe under the wrong stack. */
	trace_losses__add(&losses, totals->released_not_logged, LOST_STACK_ONLY);
	return losses;
}

static void print_summary(const struct settings *settings, const struct target *target,
			  const struct trace_session *session, const struct stack_report *report,
			  const struct pgfault_totals *totals)
{
	const uint64_t *counters = totals->counters;
	struct trace_losses losses = losses_of(totals);

	if (settings->all_faults) {
		fprintf(stderr, "%s: %llu page faults from %zu stacks of PID %d (%s) over %.2f s (%s)",
			program_name, (unsigned long long)stack_report__total_value(report),
			stack_report__length(report), (int)target->pid, target->printable_comm,
			session->duration_s, trace_session__end_reason(session));
	} else {
		fprintf(stderr, "%s: %llu pages (%llu anonymous, %llu file-backed, %llu shared memory) resident from %zu stacks of PID %d (%s) over %.2f s (%s); %llu faults in all",
			program_name, (unsigned long long)stack_report__total_value(report),
			(unsigned long long)totals->pages_by_class[PAGE_ANON],
			(unsigned long long)totals->pages_by_class[PAGE_FILE],
			(unsigned long long)totals->pages_by_class[PAGE_SHMEM],
			stack_report__length(report), (int)target->pid, target->printable_comm,
			session->duration_s, trace_session__end_reason(session),
			(unsigned long long)counters[COUNT_RAW_FAULTS]);
	}
	trace_losses__print(&losses, stderr);
	fputc('\n', stderr);
	if (!settings->all_faults && !totals->residency_checked)
		print_warning("the target exited before the end: its pages are gone, so these are the %llu pages it faulted in, not checked for residency",
			      (unsigned long long)totals->pages_recorded);
	report_output__print_rss(session, attributed_kb(settings, report));
	if (counters[COUNT_LOST_STACKS])
		print_warning("%llu stacks were not captured or the stack map was full; their pages are shown under %s (raise --stack-storage-size)",
			      (unsigned long long)counters[COUNT_LOST_STACKS], MISSED_STACK_FRAME);
	if (totals->released_not_logged)
		print_warning("%llu munmap or madvise calls were not logged: pages they released and the target mapped again may be counted for the wrong stack",
			      (unsigned long long)totals->released_not_logged);
	if (counters[COUNT_LOST_PAGES])
		print_warning("%llu faults were not recorded: the page map was full (raise --max-pages)",
			      (unsigned long long)counters[COUNT_LOST_PAGES]);
	if (counters[COUNT_LOST_FAULT_STACKS])
		print_warning("%llu faults were not counted: too many distinct stacks (raise --stack-storage-size)",
			      (unsigned long long)counters[COUNT_LOST_FAULT_STACKS]);
}

static int write_json(struct output_file *file, const struct settings *settings,
		      const struct target *target, const struct trace_session *session,
		      const struct stack_report *report, const struct pgfault_totals *totals,
		      const struct interval_sampler *sampler, const struct unwind_tables *unwind)
{
	const uint64_t *counters = totals->counters;
	struct trace_losses losses = losses_of(totals);
	struct json_writer writer;

	report_output__begin_json(&writer, file, "pgfaultstacks",
				  settings->all_faults ? "all-faults" : "resident",
				  target, session, &losses);
	json_writer__u64(&writer, "pages", settings->all_faults ? 0 : stack_report__total_value(report));
	json_writer__u64(&writer, "raw_faults", counters[COUNT_RAW_FAULTS]);
	json_writer__u64(&writer, "anon_pages", totals->pages_by_class[PAGE_ANON]);
	json_writer__u64(&writer, "file_pages", totals->pages_by_class[PAGE_FILE]);
	json_writer__u64(&writer, "shmem_pages", totals->pages_by_class[PAGE_SHMEM]);
	json_writer__u64(&writer, "pages_around_faults", totals->pages_around_faults);
	json_writer__bool(&writer, "residency_checked", totals->residency_checked);
	json_writer__begin_object(&writer, "lost");
	json_writer__u64(&writer, "stacks", counters[COUNT_LOST_STACKS]);
	json_writer__u64(&writer, "pages", counters[COUNT_LOST_PAGES]);
	json_writer__u64(&writer, "fault_stacks", counters[COUNT_LOST_FAULT_STACKS]);
	json_writer__u64(&writer, "released_ranges", totals->released_not_logged);
	json_writer__end_object(&writer);
	return report_output__end_json(&writer, file, report, sampler, unwind);
}

/* The report from the maps: resident pages per stack, or every fault with --all-faults. */
static int collect(const struct settings *settings, struct target *target,
		   struct bcc_module *program, struct symbolizer *symbolizer,
		   const struct page_baseline *baseline, struct stack_report *report,
		   struct pgfault_totals *totals)
{
	struct page_residency *residency = NULL;
	int err;

	pgfault_totals__read_counters(totals, program);
	if (settings->all_faults)
		return pgfault_report__collect_faults(report, program, symbolizer);
	if (!target__has_exited(target)) {
		residency = page_residency__open(target->pid);
		if (!residency && errno != ESRCH && errno != ENOENT) {
			print_error("cannot read the page map of PID %d: %s", (int)target->pid,
				    strerror(errno));
			return -errno;
		}
	}
	err = pgfault_report__collect_pages(report, totals, program, symbolizer, residency,
					    baseline, MAX_RELEASED);
	page_residency__close(residency);
	return err;
}

/* What -i needs to take the resident pages per stack at an interval. */
struct page_sources {
	const struct settings *settings;
	struct target *target;
	struct bcc_module *program;
	struct symbolizer *symbolizer;
	const struct page_baseline *baseline;
};

static int collect_resident_pages(struct stack_report *report, void *context)
{
	const struct page_sources *sources = context;
	struct pgfault_totals totals;

	return collect(sources->settings, sources->target, sources->program,
		       sources->symbolizer, sources->baseline, report, &totals);
}

int main(int argc, char **argv)
{
	struct bcc_module *program = NULL;
	struct symbolizer *symbolizer = NULL;
	struct stack_report *report = NULL;
	struct page_baseline *baseline = NULL;
	struct page_sources sources;
	const struct interval_figures resident_pages = {collect_resident_pages, &sources, "pages",
							"faults", "resident"};
	struct interval_sampler sampler = {0};
	struct unwind_tables *unwind = NULL;
	struct trace_hook refresh_unwinding = {unwind_tables__on_wake, NULL, NULL};
	struct trace_hook sample_intervals = {interval_sampler__on_wake, &sampler,
					      &refresh_unwinding};
	struct image_follower follower = {0};
	struct trace_hook follow_images = {image_follower__on_wake, &follower, &sample_intervals};
	struct uprobe_set *probes = NULL;
	struct pgfault_totals totals;
	struct report_files files = {0};
	struct trace_session session;
	struct target target = {.pid = 0, .pidfd = -1, .gate_fd = -1, .exec_error_fd = -1};
	const struct cli_settings *common;
	struct settings settings;
	int exit_code, err;

	program_name = "pgfaultstacks";
	exit_code = parse_settings(argc, argv, &settings);
	if (exit_code != CLI_CONTINUE)
		return exit_code;
	exit_code = 1;
	common = &settings.common;

	program = tool_start(common, &settings, build_defines, pgfaultstacks_bpf_text, &target,
			     &files, &unwind, &exit_code);
	if (!program)
		goto cleanup;
	refresh_unwinding.context = unwind;
	exit_code = 1;
	report = settings.all_faults ? stack_report__new("faults", NULL)
				     : stack_report__new("pages", "faults");
	if (!report || attach(&settings, program) ||
	    trace_session__interrupted_at_start(&exit_code))
		goto cleanup;
	/* -c: taken before exec, it holds none of the command's pages, which is right. */
	baseline = page_baseline__take(target.pid);
	if (!baseline) {
		print_error("cannot read the page map of PID %d: %s", (int)target.pid,
			    strerror(errno));
		goto cleanup;
	}
	symbolizer = symbolizer__new(target.pid);
	if (!symbolizer) {
		print_error("cannot read the symbols of PID %d", (int)target.pid);
		goto cleanup;
	}
	probes = uprobe_set__new();
	follower = (struct image_follower){.program = program, .probes = probes, .target = &target,
					   .symbolizer = symbolizer, .unwind = unwind};
	if (!probes || image_follower__start(&follower))
		goto cleanup;
	/*
	 * -c: the tracepoints follow the child through exec, so it can start now.
	 * It stops at exec and at each of its loader's events until the unwind
	 * tables of what it mapped are read, before any of that code runs; it is
	 * held at exec until tracing has begun.
	 */
	if (common->command && (target__release(&target) || image_follower__follow_stop(&follower)))
		goto cleanup;
	trace_session__start(&session, &target);
	sources = (struct page_sources){&settings, &target, program, symbolizer, baseline};
	if (interval_sampler__start(&sampler, common, &resident_pages, &target, &session))
		goto cleanup;
	fprintf(stderr, "Tracing %s of PID %d (%s)%s... Hit Ctrl-C to end.\n",
		settings.all_faults ? "every page fault" : "page faults that add resident pages",
		(int)target.pid, target.printable_comm, common->tid ? ", one thread" : "");
	target__continue(&target);

	trace_session__wait(&session, &target, common->duration_s, &follow_images);
	if (!target.exited)
		symbolizer__refresh(symbolizer);
	err = collect(&settings, &target, program, symbolizer, baseline, report, &totals);
	err = err ?: interval_sampler__annotate(&sampler, report);
	if (err) {
		print_error("cannot read the traced faults: %s", strerror(-err));
		goto cleanup;
	}
	report_output__write(common, &target, report,
			     settings.all_faults ? "by page faults" : "by resident pages faulted in");
	print_summary(&settings, &target, &session, report, &totals);
	report_output__print_stacks(report, unwind);
	interval_sampler__print_classes(&sampler, report);
	if (files.json && write_json(files.json, &settings, &target, &session, report, &totals,
				     &sampler, unwind))
		goto cleanup;
	if (files.svg &&
	    report_output__write_svg(files.svg,
				     settings.all_faults ? "Page faults" : "Resident pages faulted in",
				     &target, &session, report,
				     settings.all_faults ? "faults" : "pages",
				     symbolizer__origins(symbolizer)))
		goto cleanup;
	exit_code = 0;
cleanup:
	interval_sampler__free(&sampler);
	report_files__free(&files);
	page_baseline__free(baseline);
	uprobe_set__free(probes);
	bcc_module__free(program);
	symbolizer__free(symbolizer);
	stack_report__free(report);
	unwind_tables__free(unwind);
	if (target.pid)
		target__close(&target);
	return exit_code;
}

/*
 * pgfaultstacks: which call stacks made a running process's RSS grow, counted
 * in pages faulted in while tracing that are still resident at its end.
 *
 * main() takes the steps of every trace (common/trace/trace_run.h); this file
 * says what pgfaultstacks adds to them: its BPF settings, its tracepoints, the
 * residency check of the pages faulted in, and its report.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/errors.h"
#include "page_residency.h"
#include "pgfaultstacks.h"
#include "pgfaultstacks_options.h"
#include "pgfaultstacks_report.h"
#include "trace/trace_run.h"

extern const char pgfaultstacks_bpf_text[];

/* munmap, mremap and madvise calls that drop or move pages, logged while tracing. */
#define MAX_RELEASED 65536

/*
 * Of --max-pages, at most this many are recorded in a preallocated hash
 * (FAST_PAGES in pgfaultstacks.bpf.c), and never more than half, so that
 * both hashes take pages whatever the limit: 256 MB of pages, for 6.3 MB of
 * kernel memory held from the start; the others cost 2 us more each.
 */
#define PREALLOCATED_PAGES 65536

struct pgfaultstacks {
	struct pgfaultstacks_settings settings;
	struct page_baselines baselines;	/* file pages present when tracing began */
	struct pgfault_totals totals;	/* of the last collect */
};

static int add_defines(const void *tool, struct bpf_defines *defines)
{
	const struct pgfaultstacks_settings *settings =
		&((const struct pgfaultstacks *)tool)->settings;
	uint64_t half = (settings->max_pages + 1) / 2;
	uint64_t fast_pages = half < PREALLOCATED_PAGES ? half : PREALLOCATED_PAGES;
	int err = 0;

	err = err ?: bpf_defines__add(defines, "MODE_ALL_FAULTS", settings->all_faults);
	err = err ?: bpf_defines__add(defines, "FAST_PAGES", fast_pages);
	err = err ?: bpf_defines__add(defines, "MORE_PAGES", settings->max_pages - fast_pages);
	err = err ?: bpf_defines__add(defines, "MAX_RELEASED", MAX_RELEASED);
	return err;
}

/*
 * --pprof: resident pages as a count and as memory, space shown first as in
 * a heap profile; --all-faults counts faults, which hold no page to weigh.
 */
static const struct pprof_sample_type resident_types[] = {
	{"pages", "count", false, 1},
	{"space", "bytes", false, PAGE_SIZE_4K},
};
static const struct pprof_sample_type fault_types[] = {
	{"faults", "count", false, 1},
};
static const struct pprof_kind resident_profile = {resident_types, 2, 1, "pages", "count"};
static const struct pprof_kind faults_profile = {fault_types, 1, 0, "faults", "count"};

static void words(const void *tool, struct report_words *words)
{
	bool all_faults = ((const struct pgfaultstacks *)tool)->settings.all_faults;

	*words = (struct report_words){
		.unit = all_faults ? "faults" : "pages",
		.count_name = all_faults ? NULL : "faults",
		.held = "resident",
		.traced = all_faults ? "every page fault" : "page faults that add resident pages",
		.events = "faults",
		.text_title = all_faults ? "by page faults" : "by resident pages faulted in",
		.svg_title = all_faults ? "Page faults" : "Resident pages faulted in",
		.pprof = all_faults ? &faults_profile : &resident_profile,
	};
}

static int attach_tracepoints(const struct pgfaultstacks_settings *settings,
			      struct bcc_module *program)
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
static int64_t attributed_kb(const struct pgfaultstacks_settings *settings,
			     const struct stack_report *report)
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

static void print_summary(void *tool, const struct trace_run *run)
{
	const struct pgfaultstacks *pgfaultstacks = tool;
	const struct pgfaultstacks_settings *settings = &pgfaultstacks->settings;
	const struct pgfault_totals *totals = &pgfaultstacks->totals;
	const struct trace_session *session = &run->session;
	const struct stack_report *report = run->report;
	const uint64_t *counters = totals->counters;
	struct trace_losses losses = losses_of(totals);

	if (settings->all_faults) {
		fprintf(stderr, "%s: %llu page faults from %zu stacks of %s over %.2f s (%s)",
			program_name, (unsigned long long)stack_report__total_value(report),
			stack_report__length(report), run->traced_name,
			session->duration_s, trace_session__end_reason(session));
	} else {
		fprintf(stderr, "%s: %llu pages (%llu anonymous, %llu file-backed, %llu shared memory) resident from %zu stacks of %s over %.2f s (%s); %llu faults in all",
			program_name, (unsigned long long)stack_report__total_value(report),
			(unsigned long long)totals->pages_by_class[PAGE_ANON],
			(unsigned long long)totals->pages_by_class[PAGE_FILE],
			(unsigned long long)totals->pages_by_class[PAGE_SHMEM],
			stack_report__length(report), run->traced_name,
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
	if (totals->unreadable_processes)
		print_warning("%llu process%s left out: %s page map cannot be read, so %s pages cannot be checked for residency",
			      (unsigned long long)totals->unreadable_processes,
			      totals->unreadable_processes == 1 ? " was" : "es were",
			      totals->unreadable_processes == 1 ? "its" : "their",
			      totals->unreadable_processes == 1 ? "its" : "their");
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

static int write_json(void *tool, const struct trace_run *run, struct output_file *file)
{
	const struct pgfaultstacks *pgfaultstacks = tool;
	const struct pgfaultstacks_settings *settings = &pgfaultstacks->settings;
	const struct pgfault_totals *totals = &pgfaultstacks->totals;
	const struct stack_report *report = run->report;
	const uint64_t *counters = totals->counters;
	struct trace_losses losses = losses_of(totals);
	struct json_writer writer;

	report_output__begin_json(&writer, file, "pgfaultstacks",
				  settings->all_faults ? "all-faults" : "resident",
				  &run->scope, &run->session, &losses);
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
	return report_output__end_json(&writer, file, report, run->process_totals, &run->sampler,
				      run->unwind, run->naming.origins);
}

/*
 * The report from the maps, at the end as for -i's sample: resident pages per
 * stack, or every fault with --all-faults.
 */
static int collect(void *tool, struct trace_run *run, struct stack_report *report, bool at_end)
{
	struct pgfaultstacks *pgfaultstacks = tool;
	struct pgfault_totals *totals = &pgfaultstacks->totals;

	(void)at_end;
	pgfault_totals__read_counters(totals, run->program);
	if (pgfaultstacks->settings.all_faults)
		return pgfault_report__collect_faults(report, run);
	/* The one process's end is noted before its pages are looked for. */
	target__has_exited(&run->target);
	return pgfault_report__collect_pages(report, totals, run, &pgfaultstacks->baselines,
					     MAX_RELEASED);
}

/*
 * A member's baseline; one that exited meanwhile has none, and needs none. One
 * whose page map we may not read (a host's processes a root in a container
 * cannot look into) has none either: its faults still count, and the report
 * says its pages could not be checked.
 */
static int take_baseline(pid_t pid, void *context)
{
	int err = page_baselines__take(context, pid);

	if (err && err != -ESRCH && err != -ENOENT && err != -EACCES && err != -EPERM) {
		print_error("cannot read the page map of PID %d: %s", (int)pid, strerror(-err));
		return err;
	}
	return 0;
}

/*
 * The tracepoints, then the file pages present now in each traced process:
 * for -c, taken before exec, the baseline holds none of the command's pages,
 * which is right.
 */
static int attach(void *tool, struct trace_run *run)
{
	struct pgfaultstacks *pgfaultstacks = tool;
	int err = attach_tracepoints(&pgfaultstacks->settings, run->program);

	if (err)
		return err;
	if (run->target.pid) {
		err = page_baselines__take(&pgfaultstacks->baselines, run->target.pid);
		if (err)
			print_error("cannot read the page map of PID %d: %s", (int)run->target.pid,
				    strerror(-err));
		return err;
	}
	return traced_set__foreach(&run->set, run->program, take_baseline,
				   &pgfaultstacks->baselines);
}

static enum cli_result parse(void *tool, int argc, char **argv,
				 const struct cli_settings **settings)
{
	struct pgfaultstacks_settings *own = &((struct pgfaultstacks *)tool)->settings;

	*settings = &own->common;
	return pgfaultstacks_settings__parse(argc, argv, own);
}

/* The modes of its JSON ("mode"), for --diff: --all-faults counts faults, not pages. */
static const struct saved_mode saved_modes[] = {
	{"resident", "pages", "faults", "resident pages faulted in"},
	{"all-faults", "faults", NULL, "page faults"},
	{0},
};

static const struct tool pgfaultstacks_tool = {
	.name = "pgfaultstacks",
	.parse = parse,
	.bpf_text = pgfaultstacks_bpf_text,
	.add_defines = add_defines,
	.words = words,
	.attach = attach,
	.collect = collect,
	.print_summary = print_summary,
	.write_json = write_json,
	.saved_modes = saved_modes,
};

int main(int argc, char **argv)
{
	struct pgfaultstacks pgfaultstacks = {0};
	int exit_code = trace_run(&pgfaultstacks_tool, &pgfaultstacks, argc, argv);

	page_baselines__free(&pgfaultstacks.baselines);
	return exit_code;
}

/*
 * memstacks: which call stacks allocate the heap memory a running process
 * keeps (unfreed mode) or allocates (-a), traced with uprobes on its
 * allocator's functions.
 *
 * main() takes the steps of every trace (common/trace/trace_run.h); this file
 * says what memstacks adds to them: its BPF settings, its probes on the
 * allocators the target maps, and its report.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/errors.h"
#include "failed_requests.h"
#include "image_watch.h"
#include "memstacks.h"
#include "memstacks_options.h"
#include "memstacks_report.h"
#include "trace/trace_run.h"

extern const char memstacks_bpf_text[];

/*
 * Slots for the threads inside an allocator, by tid (calls_in_flight): 2.5 MB
 * of kernel memory. Two threads inside at the same moment whose tids differ
 * by a multiple of it share a slot: the second one's call is lost, and counted.
 */
#define MAX_THREADS 16384

struct memstacks {
	struct memstacks_settings settings;
	struct image_watch watch;		/* the allocators attached, followed as they change */
	struct stack_report *failed;		/* -a: requests that could not succeed */
	struct memstacks_losses losses;
};

static int add_defines(const void *tool, struct bpf_defines *defines)
{
	const struct memstacks_settings *settings = &((const struct memstacks *)tool)->settings;
	int err = 0;

	err = err ?: bpf_defines__add(defines, "MODE_ALL", settings->all);
	err = err ?: bpf_defines__add(defines, "MAX_LIVE_BLOCKS", settings->live_blocks);
	err = err ?: bpf_defines__add(defines, "MAX_THREADS", MAX_THREADS);
	err = err ?: bpf_defines__add(defines, "MAX_STACKS", settings->common.stack_storage_size);
	err = err ?: bpf_defines__add(defines, "TRACK_AGE", settings->min_age_ms != 0);
	return err;
}

/*
 * --pprof: Go's heap profiles' sample types, so that pprof's own options
 * (-sample_index=inuse_space, -alloc_space) mean what they mean for Go.
 * Every allocation is counted: a period of one byte, unsampled.
 */
static const struct pprof_sample_type unfreed_types[] = {
	{"inuse_objects", "count", true, 1},
	{"inuse_space", "bytes", false, 1},
};
static const struct pprof_sample_type all_types[] = {
	{"alloc_objects", "count", true, 1},
	{"alloc_space", "bytes", false, 1},
};
static const struct pprof_kind unfreed_profile = {unfreed_types, 2, 1, "space", "bytes"};
static const struct pprof_kind all_profile = {all_types, 2, 1, "space", "bytes"};

static void words(const void *tool, struct report_words *words)
{
	bool all = ((const struct memstacks *)tool)->settings.all;

	*words = (struct report_words){
		.unit = "bytes",
		.count_name = "allocations",
		.held = "unfreed",
		.traced = all ? "all allocations" : "unfreed allocations",
		.events = "allocations",
		.text_title = all ? "by bytes allocated" : "with unfreed allocations",
		.svg_title = all ? "All allocations" : "Unfreed allocations",
		.pprof = all ? &all_profile : &unfreed_profile,
	};
}

/* The stack walker every entry probe tail-calls, then the allocators through the watch. */
static int attach(void *tool, struct trace_run *run)
{
	struct memstacks *memstacks = tool;
	const struct memstacks_settings *settings = &memstacks->settings;
	uint64_t started_ns;
	int err;

	memstacks->watch = (struct image_watch){
		.follower = &run->follower,
		.set = &run->set,
		.object = settings->object,
		.all_mode = settings->all,
		.probe_at_entry = settings->probe_at_entry,
		.verbose = settings->common.verbose,
	};
	if (settings->all) {
		memstacks->failed = failed_requests__new();
		if (!memstacks->failed)
			return -ENOMEM;
	}
	err = bcc_module__load_tail_call(run->program, "stack_walker", 0, "walk_stack",
					 BPF_PROG_TYPE_KPROBE);
	if (err)
		return err;
	/* Its load of loader_event is the load phase's: the module counts that. */
	started_ns = clock_now_ns() - bcc_module__load_ns(run->program);
	err = image_watch__calibrate(&memstacks->watch);
	start_phases__take(&run->phases, START_CALIBRATION,
			   clock_now_ns() - bcc_module__load_ns(run->program) - started_ns);
	if (!err && memstacks->watch.calibrated)
		run->emulation = &memstacks->watch.emulation;
	return err;
}

static int follow(void *tool, bool exec)
{
	return image_watch__follow(&((struct memstacks *)tool)->watch, exec);
}

static int check_ready(void *tool, const struct trace_run *run, bool command_ended)
{
	(void)run;
	return image_watch__check_ready(&((struct memstacks *)tool)->watch, command_ended);
}

/* --min-age: blocks born after this bpf_ktime_get_ns() time are too young to report. */
static uint64_t born_before_ns(const struct memstacks_settings *settings)
{
	if (!settings->min_age_ms)
		return UINT64_MAX;
	return clock_now_ns() - settings->min_age_ms * 1000000ULL;
}

/* At the end: what the options ask for. For -i: the unfreed bytes now, however young. */
static int collect(void *tool, struct trace_run *run, struct stack_report *report, bool at_end)
{
	struct memstacks *memstacks = tool;
	const struct memstacks_settings *settings = &memstacks->settings;

	if (!at_end)
		return memstacks_report__collect(report, NULL, run, &memstacks->watch, false,
						 UINT64_MAX);
	memstacks_losses__read(&memstacks->losses, run->program);
	return memstacks_report__collect(report, memstacks->failed, run, &memstacks->watch,
					 settings->all, born_before_ns(settings));
}

static void print_text(void *tool, const struct trace_run *run)
{
	const struct memstacks *memstacks = tool;

	if (!run->settings->folded)
		failed_requests__write_text(memstacks->failed, stdout);
}

static void print_warnings(const struct memstacks_losses *losses)
{
	const uint64_t *counts = losses->counts;

	if (counts[LOSS_STACK])
		print_warning("%llu stacks were not captured or the stack map was full; their bytes are shown under %s (raise --stack-storage-size)",
			      (unsigned long long)counts[LOSS_STACK], MISSED_STACK_FRAME);
	if (counts[LOSS_LIVE_BLOCKS])
		print_warning("%llu allocations were not tracked: the live-block map was full (raise --live-blocks)",
			      (unsigned long long)counts[LOSS_LIVE_BLOCKS]);
	if (counts[LOSS_CALLS])
		print_warning("%llu allocations were missed: more than %d threads were inside the allocator at once",
			      (unsigned long long)counts[LOSS_CALLS], MAX_THREADS);
	if (counts[LOSS_STACK_TOTALS])
		print_warning("%llu allocations were not counted: too many distinct stacks (raise --stack-storage-size)",
			      (unsigned long long)counts[LOSS_STACK_TOTALS]);
}

static void print_summary(void *tool, const struct trace_run *run)
{
	const struct memstacks *memstacks = tool;
	const struct memstacks_settings *settings = &memstacks->settings;
	const struct stack_report *report = run->report;

	fprintf(stderr, "%s: %llu bytes %s in %llu allocations from %zu stacks of %s over %.2f s (%s)",
		program_name, (unsigned long long)stack_report__total_value(report),
		settings->all ? "allocated" : "unfreed",
		(unsigned long long)stack_report__total_count(report),
		stack_report__length(report), run->traced_name,
		run->session.duration_s, trace_session__end_reason(&run->session));
	trace_losses__print(&memstacks->losses.summary, stderr);
	failed_requests__print_summary(memstacks->failed, stderr);
	fputc('\n', stderr);
	/* -a counts requests, not memory kept: nothing of it is set against RSS. */
	report_output__print_rss(&run->session,
				 settings->all ? -1
					       : (int64_t)(stack_report__total_value(report) / 1024));
	print_warnings(&memstacks->losses);
	if (settings->min_age_ms)
		fprintf(stderr, "%s: blocks younger than %llu ms left out of the report\n",
			program_name, (unsigned long long)settings->min_age_ms);
}

static int write_json(void *tool, const struct trace_run *run, struct output_file *file)
{
	const struct memstacks *memstacks = tool;
	const struct memstacks_settings *settings = &memstacks->settings;
	const uint64_t *counts = memstacks->losses.counts;
	struct json_writer writer;

	report_output__begin_json(&writer, file, "memstacks", settings->all ? "all" : "unfreed",
				  &run->scope, &run->session, &memstacks->losses.summary);
	json_writer__u64(&writer, "total_bytes", stack_report__total_value(run->report));
	json_writer__u64(&writer, "total_allocations", stack_report__total_count(run->report));
	json_writer__begin_object(&writer, "lost");
	json_writer__u64(&writer, "stacks", counts[LOSS_STACK]);
	json_writer__u64(&writer, "live_blocks", counts[LOSS_LIVE_BLOCKS]);
	json_writer__u64(&writer, "threads", counts[LOSS_CALLS]);
	json_writer__u64(&writer, "stack_totals", counts[LOSS_STACK_TOTALS]);
	json_writer__end_object(&writer);
	failed_requests__write_json(memstacks->failed, run->naming.origins, &writer);
	if (settings->min_age_ms)
		json_writer__u64(&writer, "min_age_ms", settings->min_age_ms);
	return report_output__end_json(&writer, file, run->report, run->process_totals,
				      &run->sampler, run->unwind, run->naming.origins);
}

static enum cli_result parse(void *tool, int argc, char **argv,
				 const struct cli_settings **settings)
{
	struct memstacks_settings *own = &((struct memstacks *)tool)->settings;

	*settings = &own->common;
	return memstacks_settings__parse(argc, argv, own);
}

/* The modes of its JSON ("mode"), for --diff. */
static const struct saved_mode saved_modes[] = {
	{"unfreed", "bytes", "allocations", "unfreed allocations"},
	{"all", "bytes", "allocations", "all allocations"},
	{0},
};

static const struct tool memstacks_tool = {
	.name = "memstacks",
	.parse = parse,
	.bpf_text = memstacks_bpf_text,
	.add_defines = add_defines,
	.words = words,
	.attach = attach,
	.follow = follow,
	.check_ready = check_ready,
	.counts_probes = true,
	.collect = collect,
	.print_text = print_text,
	.print_summary = print_summary,
	.write_json = write_json,
	.saved_modes = saved_modes,
};

int main(int argc, char **argv)
{
	struct memstacks memstacks = {0};
	int exit_code = trace_run(&memstacks_tool, &memstacks, argc, argv);

	image_watch__free(&memstacks.watch);
	stack_report__free(memstacks.failed);
	return exit_code;
}

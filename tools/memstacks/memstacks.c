/*
 * memstacks: which call stacks allocate the heap memory a running process
 * keeps (unfreed mode) or allocates (-a), traced with uprobes on its
 * allocator's functions.
 *
 * parse -> check -> compile BPF -> attach -> trace -> collect -> report -> clean up.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/bcc_module.h"
#include "trace/cli.h"
#include "base/errors.h"
#include "failed_requests.h"
#include "image_watch.h"
#include "trace/interval_sampler.h"
#include "report/json_writer.h"
#include "memstacks.h"
#include "memstacks_report.h"
#include "report/report_output.h"
#include "report/stack_report.h"
#include "process/symbolizer.h"
#include "trace/target.h"
#include "trace/tool_start.h"
#include "trace/trace_session.h"
#include "trace/uprobes.h"
#include "process/user_address_space.h"

extern const char memstacks_bpf_text[];

struct settings {
	struct cli_settings common;	/* target, output, duration */
	bool all;			/* -a: every allocation, frees ignored */
	const char *object;		/* -O: only this object's allocator */
	bool probe_at_entry;		/* --probe-at-entry: no probe placement */
	uint64_t live_blocks;		/* --live-blocks */
	uint64_t min_age_ms;		/* --min-age: younger blocks are left out of the report */
};

#define DEFAULT_LIVE_BLOCKS 1000000

/* Threads that can be inside an allocator at the same moment. */
#define MAX_THREADS 65536

enum memstacks_option {
	OPT_LIVE_BLOCKS = CLI_OPT_FIRST_TOOL_OPTION,
	OPT_PROBE_AT_ENTRY,
	OPT_MIN_AGE,
};

static const char help_text[] =
	"Usage: memstacks [-h] [-p PID | -c COMMAND] [-t TID] [-a] [-i SECONDS] [-f] [-T N]\n"
	"                 [-O OBJ] [--json FILE] [--svg FILE] [--min-age MS]\n"
	"                 [--stack-storage-size N] [--live-blocks N] [--probe-at-entry]\n"
	"                 [--unwind MODE] [-v] [duration]\n"
	"\n"
	"Show the call stacks that allocate heap memory in a running process: glibc,\n"
	"jemalloc, tcmalloc, mimalloc and C++'s operator new, found by their ELF symbols.\n"
	"\n"
	"positional arguments:\n"
	"  duration              seconds to trace (default: until Ctrl-C or the target exits)\n"
	"\n"
	"options:\n"
	"  -h, --help            show this help and exit\n"
	"  -p, --pid PID         trace this process\n"
	"  -t, --tid TID         trace only this thread (of -p PID, or of its own process)\n"
	"  -c, --command CMD     run CMD (one quoted argument) and trace it from its first allocation\n"
	"  -a, --all             count every allocation's requested bytes, frees ignored\n"
	"                        (default: bytes allocated while tracing and not freed by its end)\n"
	"  -i, --interval SECONDS\n"
	"                        print the unfreed bytes every SECONDS, and class each stack by\n"
	"                        its series: leak suspect, plateau or transient\n"
	"  -f, --folded          print folded stacks (comm;root;...;leaf BYTES) for flame graphs\n"
	"  -T, --top N           show the N largest stacks in the text report (default 10, 0 for all)\n"
	"  -O, --object OBJ      probe only the allocator in OBJ (a path, a file name, or c for libc)\n"
	"      --json FILE       also write the report as JSON to FILE\n"
	"      --svg FILE        also write an interactive flame graph to FILE\n"
	"      --min-age MS      report only blocks at least MS milliseconds old at the end\n"
	"                        (leaves out requests in flight)\n"
	"      --stack-storage-size N\n"
	"                        distinct stacks the BPF stack map holds (default 16384)\n"
	"      --live-blocks N   unfreed blocks tracked at once (default 1000000)\n"
	"      --probe-at-entry  probe functions at their entry, not at their first instruction\n"
	"                        the kernel emulates (slower; for comparison)\n"
	"      --unwind MODE     how stacks are walked: fp (frame pointers), cfi (the unwind\n"
	"                        tables of every object's .eh_frame), or auto (tables for\n"
	"                        objects built without frame pointers; the default)\n"
	"  -v, --verbose         say, object by object, which allocator functions were attached\n"
	"      --ebpf            print the BPF program as it will be compiled, and exit\n"
	"\n"
	"examples:\n"
	"  memstacks -p 181               # unfreed allocations of PID 181, until Ctrl-C\n"
	"  memstacks -p 181 30            # ... for 30 seconds\n"
	"  memstacks -a -p 181 10         # every allocation for 10 seconds, frees ignored\n"
	"  memstacks -p 181 -i 10 300     # unfreed bytes every 10 s for 5 minutes, and\n"
	"                                 # which stacks keep growing (leak suspects)\n"
	"  memstacks -p 181 --min-age 5000 60\n"
	"                                 # only what is still live after 5 s\n"
	"  memstacks -p 181 -f 30 > out.folded\n"
	"                                 # folded stacks, for flamegraph.pl --countname=bytes\n"
	"  memstacks -p 181 -t 185        # only thread 185 of PID 181\n"
	"  memstacks -c './server --port 8080' 60\n"
	"                                 # start a command and trace it from its first malloc\n"
	"  memstacks -p 181 --json out.json -T 5\n"
	"                                 # the 5 largest stacks, and everything as JSON\n"
	"  memstacks -p 181 --svg unfreed.svg 30\n"
	"                                 # a flame graph of 30 seconds' unfreed allocations\n"
	"  memstacks -p 181 --unwind fp   # stacks by frame pointers only: cheaper, but cut\n"
	"                                 # short in code built without them\n"
	"  memstacks -p 181 -O /opt/app/lib/libc.so.6\n"
	"                                 # only the allocator in that object\n"
	"  memstacks -c 'env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ./server'\n"
	"                                 # a command run on jemalloc, followed through its exec\n";

static enum cli_result parse_option(int option, const char *value, void *tool_settings)
{
	struct settings *settings = tool_settings;

	switch (option) {
	case 'a':
		settings->all = true;
		return CLI_CONTINUE;
	case 'O':
		settings->object = value;
		return CLI_CONTINUE;
	case OPT_LIVE_BLOCKS:
		return cli_parse_number("--live-blocks", value, 1, 1 << 26, &settings->live_blocks);
	case OPT_PROBE_AT_ENTRY:
		settings->probe_at_entry = true;
		return CLI_CONTINUE;
	case OPT_MIN_AGE:
		return cli_parse_number("--min-age", value, 1, 86400000, &settings->min_age_ms);
	default:
		return CLI_NOT_MINE;
	}
}

/* Returns CLI_CONTINUE to go on, else the exit code. */
static enum cli_result parse_settings(int argc, char **argv, struct settings *settings)
{
	static const struct option options[] = {
		CLI_LONG_OPTIONS,
		{"all", no_argument, NULL, 'a'},
		{"object", required_argument, NULL, 'O'},
		{"live-blocks", required_argument, NULL, OPT_LIVE_BLOCKS},
		{"probe-at-entry", no_argument, NULL, OPT_PROBE_AT_ENTRY},
		{"min-age", required_argument, NULL, OPT_MIN_AGE},
		{0},
	};
	enum cli_result result;

	*settings = (struct settings){.live_blocks = DEFAULT_LIVE_BLOCKS};
	cli_settings__init(&settings->common);
	result = cli_parse(argc, argv, "aO:", options, parse_option, settings, &settings->common,
			   help_text);
	/* -a keeps no blocks: nothing to sample or to age. */
	if (result == CLI_CONTINUE && settings->all && settings->common.interval_s)
		return cli_usage_error("-i follows unfreed bytes: drop -a");
	if (result == CLI_CONTINUE && settings->all && settings->min_age_ms)
		return cli_usage_error("--min-age ages unfreed blocks: drop -a");
	return result;
}

static int build_defines(const void *tool_settings, pid_t pid, struct bpf_defines *defines)
{
	const struct settings *settings = tool_settings;
	uint64_t stacks = settings->common.stack_storage_size;
	int err = 0;

	err = err ?: bpf_defines__add(defines, "TARGET_TGID", pid);
	err = err ?: bpf_defines__add(defines, "TARGET_TID", settings->common.tid);
	err = err ?: bpf_defines__add(defines, "MODE_ALL", settings->all);
	err = err ?: bpf_defines__add(defines, "STACK_STORAGE_SIZE", stacks);
	err = err ?: bpf_defines__add(defines, "MAX_LIVE_BLOCKS", settings->live_blocks);
	err = err ?: bpf_defines__add(defines, "MAX_THREADS", MAX_THREADS);
	err = err ?: bpf_defines__add(defines, "MAX_STACKS", stacks);
	err = err ?: bpf_defines__add(defines, "TRACK_AGE", settings->min_age_ms != 0);
	err = err ?: bpf_defines__add(defines, "USER_ADDRESS_LIMIT", user_address_space_bytes());
	return err;
}

static void print_summary(const struct settings *settings, const struct target *target,
			  const struct trace_session *session, const struct stack_report *report,
			  const struct stack_report *failed, const struct memstacks_losses *losses)
{
	fprintf(stderr, "%s: %llu bytes %s in %llu allocations from %zu stacks of PID %d (%s) over %.2f s (%s)",
		program_name, (unsigned long long)stack_report__total_value(report),
		settings->all ? "allocated" : "unfreed",
		(unsigned long long)stack_report__total_count(report),
		stack_report__length(report), (int)target->pid, target->printable_comm,
		session->duration_s, trace_session__end_reason(session));
	trace_losses__print(&losses->summary, stderr);
	failed_requests__print_summary(failed, stderr);
	fputc('\n', stderr);
	/* -a counts requests, not memory kept: nothing of it is set against RSS. */
	report_output__print_rss(session, settings->all ? -1
							: (int64_t)(stack_report__total_value(report) / 1024));
	if (losses->counts[LOSS_STACK])
		print_warning("%llu stacks were not captured or the stack map was full; their bytes are shown under %s (raise --stack-storage-size)",
			      (unsigned long long)losses->counts[LOSS_STACK], MISSED_STACK_FRAME);
	if (losses->counts[LOSS_LIVE_BLOCKS])
		print_warning("%llu allocations were not tracked: the live-block map was full (raise --live-blocks)",
			      (unsigned long long)losses->counts[LOSS_LIVE_BLOCKS]);
	if (losses->counts[LOSS_CALLS])
		print_warning("%llu allocations were missed: more than %d threads were inside the allocator at once",
			      (unsigned long long)losses->counts[LOSS_CALLS], MAX_THREADS);
	if (losses->counts[LOSS_STACK_TOTALS])
		print_warning("%llu allocations were not counted: too many distinct stacks (raise --stack-storage-size)",
			      (unsigned long long)losses->counts[LOSS_STACK_TOTALS]);
}

static int write_json(struct output_file *file, const struct settings *settings,
		      const struct target *target, const struct trace_session *session,
		      const struct stack_report *report, const struct stack_report *failed,
		      const struct memstacks_losses *losses, const struct interval_sampler *sampler,
		      const struct unwind_tables *unwind)
{
	struct json_writer writer;

	report_output__begin_json(&writer, file, "memstacks",
				  settings->all ? "all" : "unfreed", target, session,
				  &losses->summary);
	json_writer__u64(&writer, "total_bytes", stack_report__total_value(report));
	json_writer__u64(&writer, "total_allocations", stack_report__total_count(report));
	json_writer__begin_object(&writer, "lost");
	json_writer__u64(&writer, "stacks", losses->counts[LOSS_STACK]);
	json_writer__u64(&writer, "live_blocks", losses->counts[LOSS_LIVE_BLOCKS]);
	json_writer__u64(&writer, "threads", losses->counts[LOSS_CALLS]);
	json_writer__u64(&writer, "stack_totals", losses->counts[LOSS_STACK_TOTALS]);
	json_writer__end_object(&writer);
	failed_requests__write_json(failed, &writer);
	if (settings->min_age_ms)
		json_writer__u64(&writer, "min_age_ms", settings->min_age_ms);
	return report_output__end_json(&writer, file, report, sampler, unwind);
}

/* -i: the unfreed bytes per stack now, all of them, however young. */
static int collect_live_bytes(struct stack_report *report, void *context)
{
	struct image_watch *watch = context;

	return memstacks_report__collect(report, NULL, watch->follower.program,
					 watch->follower.symbolizer, &watch->sites, false, UINT64_MAX);
}

/* --min-age: blocks born after this bpf_ktime_get_ns() time are too young to report. */
static uint64_t born_before_ns(const struct settings *settings)
{
	if (!settings->min_age_ms)
		return UINT64_MAX;
	return trace_session__now_ns() - settings->min_age_ms * 1000000ULL;
}

int main(int argc, char **argv)
{
	struct image_watch watch = {0};
	const struct interval_figures live_bytes = {collect_live_bytes, &watch, "bytes",
						    "allocations", "unfreed"};
	struct interval_sampler sampler = {0};
	struct unwind_tables *unwind = NULL;
	struct trace_hook refresh_unwinding = {unwind_tables__on_wake, NULL, NULL};
	struct trace_hook sample_intervals = {interval_sampler__on_wake, &sampler,
					      &refresh_unwinding};
	struct trace_hook follow_images = {image_follower__on_wake, &watch.follower,
					   &sample_intervals};
	struct bcc_module *program = NULL;
	struct uprobe_set *probes = NULL;
	struct symbolizer *symbolizer = NULL;
	struct stack_report *report = NULL;
	struct stack_report *failed = NULL;	/* -a: requests that could not succeed */
	struct memstacks_losses losses;
	struct report_files files = {0};
	struct trace_session session;
	struct target target = {.pid = 0, .pidfd = -1, .gate_fd = -1, .exec_error_fd = -1};
	const struct cli_settings *common;
	struct settings settings;
	int exit_code, err;

	program_name = "memstacks";
	exit_code = parse_settings(argc, argv, &settings);
	if (exit_code != CLI_CONTINUE)
		return exit_code;
	exit_code = 1;
	common = &settings.common;

	program = tool_start(common, &settings, build_defines, memstacks_bpf_text, &target,
			     &files, &unwind, &exit_code);
	if (!program)
		goto cleanup;
	refresh_unwinding.context = unwind;
	exit_code = 1;
	if (bcc_module__load_tail_call(program, "stack_walker", 0, "walk_stack",
					BPF_PROG_TYPE_KPROBE))
		goto cleanup;
	probes = uprobe_set__new();
	report = stack_report__new("bytes", "allocations");
	failed = settings.all ? failed_requests__new() : NULL;
	if (!probes || !report || (settings.all && !failed))
		goto cleanup;

	/* The symbol cache reads the maps now, and again whenever they change. */
	symbolizer = symbolizer__new(target.pid);
	if (!symbolizer) {
		print_error("cannot read the symbols of PID %d", (int)target.pid);
		goto cleanup;
	}
	watch.follower.program = program;
	watch.follower.probes = probes;
	watch.follower.target = &target;
	watch.follower.symbolizer = symbolizer;
	watch.follower.unwind = unwind;
	watch.object = settings.object;
	watch.probe_at_entry = settings.probe_at_entry;
	watch.all_mode = settings.all;
	watch.verbose = common->verbose;
	err = image_watch__start(&watch);
	if (err || trace_session__interrupted_at_start(&exit_code))
		goto cleanup;
	trace_session__start(&session, &target);
	if (interval_sampler__start(&sampler, common, &live_bytes, &target, &session))
		goto cleanup;
	fprintf(stderr, "Tracing %s allocations of PID %d (%s) through %zu uprobes%s... Hit Ctrl-C to end.\n",
		settings.all ? "all" : "unfreed", (int)target.pid, target.printable_comm,
		uprobe_set__count(probes), common->tid ? ", one thread" : "");
	target__continue(&target);

	trace_session__wait(&session, &target, common->duration_s, &follow_images);
	if (!target.exited)
		symbolizer__refresh(symbolizer);
	err = memstacks_report__collect(report, failed, program, symbolizer, &watch.sites,
					settings.all, born_before_ns(&settings));
	err = err ?: interval_sampler__annotate(&sampler, report);
	if (err) {
		print_error("cannot read the traced allocations: %s", strerror(-err));
		goto cleanup;
	}
	memstacks_losses__read(&losses, program);
	report_output__write(common, &target, report,
			     settings.all ? "by bytes allocated" : "with unfreed allocations");
	if (!common->folded)
		failed_requests__write_text(failed, stdout);
	print_summary(&settings, &target, &session, report, failed, &losses);
	report_output__print_stacks(report, unwind);
	interval_sampler__print_classes(&sampler, report);
	if (settings.min_age_ms)
		fprintf(stderr, "%s: blocks younger than %llu ms left out of the report\n",
			program_name, (unsigned long long)settings.min_age_ms);
	if (files.json && write_json(files.json, &settings, &target, &session, report, failed,
				     &losses, &sampler, unwind))
		goto cleanup;
	if (files.svg &&
	    report_output__write_svg(files.svg,
				     settings.all ? "All allocations" : "Unfreed allocations",
				     &target, &session, report, "bytes",
				     symbolizer__origins(symbolizer)))
		goto cleanup;
	exit_code = 0;
cleanup:
	report_files__free(&files);
	uprobe_set__free(probes);
	bcc_module__free(program);
	symbolizer__free(symbolizer);
	stack_report__free(report);
	stack_report__free(failed);
	image_watch__free(&watch);
	interval_sampler__free(&sampler);
	unwind_tables__free(unwind);
	if (target.pid)
		target__close(&target);
	return exit_code;
}

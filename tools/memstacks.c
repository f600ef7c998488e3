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
#include <sys/wait.h>
#include <unistd.h>

#include "allocators.h"
#include "bpf_program.h"
#include "cli.h"
#include "elf_functions.h"
#include "errors.h"
#include "json_writer.h"
#include "memstacks.h"
#include "memstacks_report.h"
#include "report_output.h"
#include "stack_report.h"
#include "symbolizer.h"
#include "target.h"
#include "tool_start.h"
#include "trace_session.h"
#include "uprobes.h"

extern const char memstacks_bpf_text[];

struct settings {
	struct cli_settings common;	/* target, output, duration */
	bool all;			/* -a: every allocation, frees ignored */
	const char *object;		/* -O: only this object's allocator */
	uint64_t live_blocks;		/* --live-blocks */
};

#define DEFAULT_LIVE_BLOCKS 1000000

/* Threads that can be inside an allocator at the same moment. */
#define MAX_THREADS 65536

enum memstacks_option {
	OPT_LIVE_BLOCKS = CLI_OPT_FIRST_TOOL_OPTION,
};

static const char help_text[] =
	"Usage: memstacks [-h] [-p PID | -c COMMAND] [-t TID] [-a] [-f] [-T N] [-O OBJ]\n"
	"                 [--json FILE] [--svg FILE] [--stack-storage-size N]\n"
	"                 [--live-blocks N] [-v] [duration]\n"
	"\n"
	"Show the call stacks that allocate heap memory in a running process.\n"
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
	"  -f, --folded          print folded stacks (comm;root;...;leaf BYTES) for flame graphs\n"
	"  -T, --top N           show the N largest stacks in the text report (default 10, 0 for all)\n"
	"  -O, --object OBJ      probe only the allocator in OBJ (a path, a file name, or c for libc)\n"
	"      --json FILE       also write the report as JSON to FILE\n"
	"      --svg FILE        also write an interactive flame graph to FILE\n"
	"      --stack-storage-size N\n"
	"                        distinct stacks the BPF stack map holds (default 16384)\n"
	"      --live-blocks N   unfreed blocks tracked at once (default 1000000)\n"
	"  -v, --verbose         say which allocator functions were found and attached\n"
	"      --ebpf            print the BPF program as it will be compiled, and exit\n"
	"\n"
	"examples:\n"
	"  memstacks -p 181               # unfreed allocations of PID 181, until Ctrl-C\n"
	"  memstacks -p 181 30            # ... for 30 seconds\n"
	"  memstacks -a -p 181 10         # every allocation for 10 seconds, frees ignored\n"
	"  memstacks -p 181 -f 30 > out.folded\n"
	"                                 # folded stacks, for flamegraph.pl --countname=bytes\n"
	"  memstacks -p 181 -t 185        # only thread 185 of PID 181\n"
	"  memstacks -c './server --port 8080' 60\n"
	"                                 # start a command and trace it from its first malloc\n"
	"  memstacks -p 181 --json out.json -T 5\n"
	"                                 # the 5 largest stacks, and everything as JSON\n"
	"  memstacks -p 181 --svg unfreed.svg 30\n"
	"                                 # a flame graph of 30 seconds' unfreed allocations\n"
	"  memstacks -p 181 -O /opt/app/lib/libc.so.6\n"
	"                                 # only the allocator in that object\n";

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
		{0},
	};

	*settings = (struct settings){.live_blocks = DEFAULT_LIVE_BLOCKS};
	cli_settings__init(&settings->common);
	return cli_parse(argc, argv, "aO:", options, parse_option, settings, &settings->common,
			 help_text);
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
	return err;
}

static int attach_to_process(const struct settings *settings, const struct target *target,
			     struct allocator_sites *sites, struct bpf_program *program,
			     struct uprobe_set *probes)
{
	int found = allocator_sites__scan(sites, target->pid, settings->object);

	if (found < 0) {
		print_error("cannot read the memory maps of PID %d: %s (is it still running?)",
			    (int)target->pid, strerror(-found));
		return found;
	}
	if (found == 0) {
		print_error(settings->object
				    ? "no allocator functions in an object matching '%s' mapped by PID %d (check -O against /proc/PID/maps)"
				    : "%sno allocator functions (malloc, free, ...) in any object mapped by PID %d (is it statically linked without symbols?)",
			    settings->object ? settings->object : "", (int)target->pid);
		return -ENOENT;
	}
	return allocator_sites__attach(sites, 0, program, probes, target->pid, settings->all,
				       settings->common.verbose);
}

/*
 * -c: the command's allocator is only known once it is mapped. A probe stops
 * the new process where the dynamic loader reports its libraries mapped (or at
 * the entry of a static executable), before any of their code runs; there the
 * allocator is attached and the stop probe removed.
 */
static int attach_when_mapped(const struct settings *settings, struct target *target,
			      struct allocator_sites *sites, struct bpf_program *program,
			      struct uprobe_set *probes)
{
	const char *loader_functions[] = {"_dl_debug_state"};
	struct elf_function loader_event;
	char stop_object[PATH_MAX];
	uint64_t stop_offset;
	int stop_fd, stop_probe, status = 0, found = 0, err;

	if (elf_interpreter(target->exe_path, stop_object, sizeof(stop_object)) == 0) {
		if (elf_find_functions(stop_object, loader_functions, 1, &loader_event) != 1) {
			print_error("cannot find _dl_debug_state in the dynamic loader %s (trace the running process with -p instead)",
				    stop_object);
			return -ENOENT;
		}
		stop_offset = loader_event.file_offset;
	} else {
		snprintf(stop_object, sizeof(stop_object), "%s", target->exe_path);
		err = elf_entry_file_offset(stop_object, &stop_offset);
		if (err) {
			print_error("cannot read %s as an ELF executable: %s (give a program, not a script, to -c)",
				    stop_object, strerror(-err));
			return err;
		}
	}
	stop_fd = bpf_program__load(program, "stop_at_loader_event", BPF_PROG_TYPE_KPROBE);
	if (stop_fd < 0)
		return stop_fd;
	stop_probe = uprobe_set__attach(probes, stop_fd, false, stop_object, stop_offset,
					target->pid, "the program's start");
	if (stop_probe < 0)
		return stop_probe;
	err = target__release(target);
	if (err)
		return err;
	while (found == 0) {
		if (waitpid(target->pid, &status, WUNTRACED) < 0 || !WIFSTOPPED(status)) {
			target->exited = true;
			target->wait_status = status;
			print_error("command %s ended before it mapped an allocator (nothing to trace)",
				    target->exe_path);
			return -ESRCH;
		}
		target->held = true;
		found = allocator_sites__scan(sites, target->pid, settings->object);
		if (found < 0)
			return found;
		if (found == 0)
			target__continue(target);
	}
	uprobe_set__detach(probes, stop_probe);
	/* The caller continues the stopped command once tracing has started. */
	return allocator_sites__attach(sites, 0, program, probes, target->pid, settings->all,
				       settings->common.verbose);
}


static void print_summary(const struct settings *settings, const struct target *target,
			  const struct trace_session *session, const struct stack_report *report,
			  const struct memstacks_losses *losses)
{
	fprintf(stderr, "%s: %llu bytes %s in %llu allocations from %zu stacks of PID %d (%s) over %.2f s (%s)\n",
		program_name, (unsigned long long)stack_report__total_value(report),
		settings->all ? "allocated" : "unfreed",
		(unsigned long long)stack_report__total_count(report),
		stack_report__length(report), (int)target->pid, target->comm, session->duration_s,
		trace_session__end_reason(session));
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

static int write_json(const char *path, const struct settings *settings,
		      const struct target *target, const struct trace_session *session,
		      const struct stack_report *report, const struct memstacks_losses *losses)
{
	struct json_writer writer;
	FILE *out = report_output__begin_json(&writer, path, "memstacks",
					      settings->all ? "all" : "unfreed", target, session,
					      losses->total);

	if (!out)
		return -EIO;
	json_writer__u64(&writer, "total_bytes", stack_report__total_value(report));
	json_writer__u64(&writer, "total_allocations", stack_report__total_count(report));
	json_writer__begin_object(&writer, "lost");
	json_writer__u64(&writer, "stacks", losses->counts[LOSS_STACK]);
	json_writer__u64(&writer, "live_blocks", losses->counts[LOSS_LIVE_BLOCKS]);
	json_writer__u64(&writer, "threads", losses->counts[LOSS_CALLS]);
	json_writer__u64(&writer, "stack_totals", losses->counts[LOSS_STACK_TOTALS]);
	json_writer__end_object(&writer);
	return report_output__end_json(&writer, out, path, report);
}

int main(int argc, char **argv)
{
	struct allocator_sites sites = {0};
	struct bpf_program *program = NULL;
	struct uprobe_set *probes = NULL;
	struct symbolizer *symbolizer = NULL;
	struct stack_report *report = NULL;
	struct memstacks_losses losses;
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
			     &exit_code);
	if (!program)
		goto cleanup;
	exit_code = 1;
	probes = uprobe_set__new();
	report = stack_report__new("bytes", "allocations");
	if (!probes || !report)
		goto cleanup;

	err = common->command ? attach_when_mapped(&settings, &target, &sites, program, probes)
			      : attach_to_process(&settings, &target, &sites, program, probes);
	if (err || trace_session__interrupted())
		goto cleanup;
	/* The symbol cache reads the maps now, while the target certainly lives. */
	symbolizer = symbolizer__new(target.pid);
	if (!symbolizer) {
		print_error("cannot read the symbols of PID %d", (int)target.pid);
		goto cleanup;
	}
	trace_session__start(&session, &target);
	fprintf(stderr, "Tracing %s allocations of PID %d (%s) through %zu uprobes%s... Hit Ctrl-C to end.\n",
		settings.all ? "all" : "unfreed", (int)target.pid, target.comm,
		uprobe_set__count(probes), common->tid ? ", one thread" : "");
	target__continue(&target);

	trace_session__wait(&session, &target, common->duration_s);
	if (!target.exited)
		symbolizer__refresh(symbolizer);
	err = memstacks_report__collect(report, program, symbolizer, &sites, settings.all);
	if (err) {
		print_error("cannot read the traced allocations: %s", strerror(-err));
		goto cleanup;
	}
	memstacks_losses__read(&losses, program);
	report_output__write(common, &target, report,
			     settings.all ? "by bytes allocated" : "with unfreed allocations");
	print_summary(&settings, &target, &session, report, &losses);
	if (common->json_path &&
	    write_json(common->json_path, &settings, &target, &session, report, &losses))
		goto cleanup;
	if (common->svg_path &&
	    report_output__write_svg(common->svg_path,
				     settings.all ? "All allocations" : "Unfreed allocations",
				     &target, &session, report, "bytes"))
		goto cleanup;
	exit_code = 0;
cleanup:
	uprobe_set__free(probes);
	bpf_program__free(program);
	symbolizer__free(symbolizer);
	stack_report__free(report);
	allocator_sites__free(&sites);
	if (target.pid)
		target__close(&target);
	return exit_code;
}

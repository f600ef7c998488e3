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
#include "elf_functions.h"
#include "errors.h"
#include "json_writer.h"
#include "memstacks.h"
#include "memstacks_report.h"
#include "parse.h"
#include "stack_report.h"
#include "symbolizer.h"
#include "target.h"
#include "trace_session.h"
#include "uprobes.h"

extern const char memstacks_bpf_text[];

struct settings {
	pid_t pid;			/* -p */
	pid_t tid;			/* -t: 0 traces every thread */
	const char *command;		/* -c */
	bool all;			/* -a: every allocation, frees ignored */
	bool folded;			/* -f */
	const char *object;		/* -O: only this object's allocator */
	uint64_t top;			/* -T */
	uint64_t stack_storage_size;	/* --stack-storage-size */
	uint64_t live_blocks;		/* --live-blocks */
	const char *json_path;		/* --json */
	bool verbose;			/* -v */
	bool print_ebpf;		/* --ebpf */
	uint64_t duration_s;		/* positional; 0 until Ctrl-C or exit */
};

static const struct settings default_settings = {
	.top = 10,
	.stack_storage_size = 16384,
	.live_blocks = 1000000,
};

/* Threads that can be inside an allocator at the same moment. */
#define MAX_THREADS 65536

enum long_only_option {
	OPT_STACK_STORAGE_SIZE = 256,
	OPT_LIVE_BLOCKS,
	OPT_JSON,
	OPT_EBPF,
};

static const char usage_text[] =
	"Usage: memstacks [-h] [-p PID | -c COMMAND] [-t TID] [-a] [-f] [-T N] [-O OBJ]\n"
	"                 [--json FILE] [--stack-storage-size N] [--live-blocks N] [-v]\n"
	"                 [duration]\n";

static const char help_text[] =
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
	"  memstacks -p 181 -O /opt/app/lib/libc.so.6\n"
	"                                 # only the allocator in that object\n";

static int usage_error(const char *format, const char *value)
{
	fprintf(stderr, "%s: ", program_name);
	fprintf(stderr, format, value);
	fprintf(stderr, " (see memstacks --help)\n");
	return 2;
}

static bool parse_pid(const char *text, pid_t *pid)
{
	uint64_t value;

	if (!parse_u64(text, 1, INT32_MAX, &value))
		return false;
	*pid = (pid_t)value;
	return true;
}

/* Returns -1 to go on, else the exit code (0 after --help, 2 for a usage error). */
static int parse_settings(int argc, char **argv, struct settings *settings)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"pid", required_argument, NULL, 'p'},
		{"tid", required_argument, NULL, 't'},
		{"command", required_argument, NULL, 'c'},
		{"all", no_argument, NULL, 'a'},
		{"folded", no_argument, NULL, 'f'},
		{"top", required_argument, NULL, 'T'},
		{"object", required_argument, NULL, 'O'},
		{"verbose", no_argument, NULL, 'v'},
		{"json", required_argument, NULL, OPT_JSON},
		{"stack-storage-size", required_argument, NULL, OPT_STACK_STORAGE_SIZE},
		{"live-blocks", required_argument, NULL, OPT_LIVE_BLOCKS},
		{"ebpf", no_argument, NULL, OPT_EBPF},
		{0},
	};
	int option;

	*settings = default_settings;
	opterr = 0;
	while ((option = getopt_long(argc, argv, ":hp:t:c:afT:O:v", options, NULL)) != -1) {
		switch (option) {
		case 'h':
			fputs(usage_text, stdout);
			fputs("\n", stdout);
			fputs(help_text, stdout);
			return 0;
		case 'p':
			if (!parse_pid(optarg, &settings->pid))
				return usage_error("invalid PID '%s': give a process ID", optarg);
			break;
		case 't':
			if (!parse_pid(optarg, &settings->tid))
				return usage_error("invalid TID '%s': give a thread ID", optarg);
			break;
		case 'c':
			settings->command = optarg;
			break;
		case 'a':
			settings->all = true;
			break;
		case 'f':
			settings->folded = true;
			break;
		case 'T':
			if (!parse_u64(optarg, 0, UINT32_MAX, &settings->top))
				return usage_error("invalid --top '%s': give a number of stacks", optarg);
			break;
		case 'O':
			settings->object = optarg;
			break;
		case 'v':
			settings->verbose = true;
			break;
		case OPT_JSON:
			settings->json_path = optarg;
			break;
		case OPT_STACK_STORAGE_SIZE:
			if (!parse_u64(optarg, 1, 1 << 24, &settings->stack_storage_size))
				return usage_error("invalid --stack-storage-size '%s': give a number from 1 to 16777216",
						   optarg);
			break;
		case OPT_LIVE_BLOCKS:
			if (!parse_u64(optarg, 1, 1 << 26, &settings->live_blocks))
				return usage_error("invalid --live-blocks '%s': give a number from 1 to 67108864",
						   optarg);
			break;
		case OPT_EBPF:
			settings->print_ebpf = true;
			break;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc &&
	    !parse_u64(argv[optind++], 1, UINT32_MAX, &settings->duration_s))
		return usage_error("invalid duration '%s': give a whole number of seconds",
				   argv[optind - 1]);
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (settings->print_ebpf)
		return -1;
	if (settings->command && (settings->pid || settings->tid))
		return usage_error("%s", "-c cannot be combined with -p or -t: give one target");
	if (!settings->command && !settings->pid && !settings->tid)
		return usage_error("%s", "no target: give -p PID or -c COMMAND");
	return -1;
}

static int build_defines(const struct settings *settings, pid_t pid, struct bpf_defines *defines)
{
	int err = 0;

	err = err ?: bpf_defines__add(defines, "TARGET_TGID", pid);
	err = err ?: bpf_defines__add(defines, "TARGET_TID", settings->tid);
	err = err ?: bpf_defines__add(defines, "MODE_ALL", settings->all);
	err = err ?: bpf_defines__add(defines, "STACK_STORAGE_SIZE", settings->stack_storage_size);
	err = err ?: bpf_defines__add(defines, "MAX_LIVE_BLOCKS", settings->live_blocks);
	err = err ?: bpf_defines__add(defines, "MAX_THREADS", MAX_THREADS);
	err = err ?: bpf_defines__add(defines, "MAX_STACKS", settings->stack_storage_size);
	return err;
}

/* -p: the allocator the process maps now. */
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
				       settings->verbose);
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
	int stop_fd, stop_probe, status, found = 0, err;

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
		found = allocator_sites__scan(sites, target->pid, settings->object);
		if (found < 0)
			return found;
		if (found == 0)
			kill(target->pid, SIGCONT);
	}
	uprobe_set__detach(probes, stop_probe);
	/* The caller continues the stopped command once tracing has started. */
	return allocator_sites__attach(sites, 0, program, probes, target->pid, settings->all,
				       settings->verbose);
}

static void print_summary(const struct settings *settings, const struct target *target,
			  const struct trace_session *session, const struct stack_report *report,
			  const struct memstacks_losses *losses)
{
	long rss_growth_kb = session->rss_end_kb - session->rss_start_kb;

	fprintf(stderr, "%s: %llu bytes %s in %llu allocations from %zu stacks of PID %d (%s) over %.2f s (%s)\n",
		program_name, (unsigned long long)stack_report__total_value(report),
		settings->all ? "allocated" : "unfreed",
		(unsigned long long)stack_report__total_count(report),
		stack_report__length(report), (int)target->pid, target->comm, session->duration_s,
		trace_session__end_reason(session));
	fprintf(stderr, "%s: RSS %ld kB -> %ld kB (%+ld kB) over the same time\n", program_name,
		session->rss_start_kb, session->rss_end_kb, rss_growth_kb);
	if (losses->counts[LOSS_STACK])
		print_warning("%llu stacks were not stored: the stack map was full or two stacks shared a slot; their bytes are shown under %s (raise --stack-storage-size)",
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
	FILE *out = fopen(path, "we");

	if (!out) {
		print_error("cannot write %s: %s (choose a writable path for --json)", path,
			    strerror(errno));
		return -errno;
	}
	json_writer__init(&writer, out);
	json_writer__begin_object(&writer, NULL);
	json_writer__string(&writer, "tool", "memstacks");
	json_writer__string(&writer, "mode", settings->all ? "all" : "unfreed");
	json_writer__u64(&writer, "pid", target->pid);
	json_writer__string(&writer, "comm", target->comm);
	json_writer__double(&writer, "duration_s", session->duration_s);
	json_writer__string(&writer, "end", trace_session__end_reason(session));
	json_writer__u64(&writer, "total_bytes", stack_report__total_value(report));
	json_writer__u64(&writer, "total_allocations", stack_report__total_count(report));
	json_writer__u64(&writer, "rss_start_kb", session->rss_start_kb);
	json_writer__u64(&writer, "rss_end_kb", session->rss_end_kb);
	json_writer__u64(&writer, "lost_events", losses->total);
	json_writer__begin_object(&writer, "lost");
	json_writer__u64(&writer, "stacks", losses->counts[LOSS_STACK]);
	json_writer__u64(&writer, "live_blocks", losses->counts[LOSS_LIVE_BLOCKS]);
	json_writer__u64(&writer, "threads", losses->counts[LOSS_CALLS]);
	json_writer__u64(&writer, "stack_totals", losses->counts[LOSS_STACK_TOTALS]);
	json_writer__end_object(&writer);
	stack_report__write_json(report, &writer);
	json_writer__end_object(&writer);
	if (fclose(out)) {
		print_error("cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

static void write_report(const struct settings *settings, const struct target *target,
			 const struct stack_report *report)
{
	if (settings->folded) {
		stack_report__write_folded(report, stdout, target->comm);
		return;
	}
	if (settings->top && settings->top < stack_report__length(report))
		printf("Top %llu of %zu stacks ", (unsigned long long)settings->top,
		       stack_report__length(report));
	else
		printf("All %zu stacks ", stack_report__length(report));
	printf(settings->all ? "by bytes allocated:\n" : "with unfreed allocations:\n");
	stack_report__write_text(report, stdout, settings->top);
}

int main(int argc, char **argv)
{
	struct allocator_sites sites = {0};
	struct bpf_defines defines = {0};
	struct bpf_program *program = NULL;
	struct uprobe_set *probes = NULL;
	struct symbolizer *symbolizer = NULL;
	struct stack_report *report = NULL;
	struct memstacks_losses losses;
	struct trace_session session;
	struct target target = {.pid = 0, .pidfd = -1, .gate_fd = -1, .exec_error_fd = -1};
	struct settings settings;
	int exit_code = 1, removed, err;

	program_name = "memstacks";
	exit_code = parse_settings(argc, argv, &settings);
	if (exit_code >= 0)
		return exit_code;
	exit_code = 1;

	if (settings.print_ebpf) {
		if (build_defines(&settings, settings.pid, &defines))
			goto cleanup;
		bpf_program__print(stdout, memstacks_bpf_text, &defines);
		exit_code = 0;
		goto cleanup;
	}
	trace_session__handle_signals();
	if (!bpf_program__check_requirements())
		goto cleanup;
	removed = uprobes__remove_stale();
	if (removed > 0)
		print_warning("removed %d uprobe events left behind by an earlier run that was killed",
			      removed);

	err = settings.command ? target__spawn(&target, settings.command)
			       : target__open(&target, settings.pid, settings.tid);
	if (err)
		goto cleanup;
	if (build_defines(&settings, target.pid, &defines))
		goto cleanup;
	program = bpf_program__compile(memstacks_bpf_text, &defines);
	probes = uprobe_set__new();
	report = stack_report__new("bytes", "allocations");
	if (!program || !probes || !report)
		goto cleanup;

	err = settings.command ? attach_when_mapped(&settings, &target, &sites, program, probes)
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
		uprobe_set__count(probes), settings.tid ? ", one thread" : "");
	if (settings.command)
		kill(target.pid, SIGCONT);

	trace_session__wait(&session, &target, settings.duration_s);
	if (!target.exited)
		symbolizer__refresh(symbolizer);
	err = memstacks_report__collect(report, program, symbolizer, &sites, settings.all);
	if (err) {
		print_error("cannot read the traced allocations: %s", strerror(-err));
		goto cleanup;
	}
	memstacks_losses__read(&losses, program);
	write_report(&settings, &target, report);
	print_summary(&settings, &target, &session, report, &losses);
	if (settings.json_path &&
	    write_json(settings.json_path, &settings, &target, &session, report, &losses))
		goto cleanup;
	exit_code = 0;
cleanup:
	uprobe_set__free(probes);
	bpf_program__free(program);
	symbolizer__free(symbolizer);
	stack_report__free(report);
	allocator_sites__free(&sites);
	bpf_defines__free(&defines);
	if (target.pid)
		target__close(&target);
	return exit_code;
}

#include "memstacks_options.h"

#define DEFAULT_LIVE_BLOCKS 1000000

enum memstacks_option {
	OPT_LIVE_BLOCKS = CLI_OPT_FIRST_TOOL_OPTION,
	OPT_PROBE_AT_ENTRY,
	OPT_MIN_AGE,
};

static const struct cli_option options[] = {
	{'h', "help", NULL, "show this help and exit"},
	{'p', "pid", "PID[,PID...]",
	 "trace these processes (default: every process on the host)"},
	{'t', "tid", "TID", "trace only this thread (of -p PID, or of its own process)"},
	{'c', "command", "CMD",
	 "run CMD (one quoted argument) and trace it from its first allocation"},
	{CLI_OPT_CHILDREN, "children", NULL,
	 "also trace the processes -p's or -c's processes start while\n"
	 "tracing, through exec"},
	{CLI_OPT_CGROUP, "cgroup", "PATH",
	 "trace the processes of this cgroup v2 directory and its\n"
	 "descendants, including those that join while tracing"},
	{'a', "all", NULL, "count every allocation's requested bytes, frees ignored\n"
			   "(default: bytes allocated while tracing and not freed by its end)"},
	{'i', "interval", "SECONDS",
	 "print the unfreed bytes every SECONDS, and class each stack by\n"
	 "its series: leak suspect, plateau or transient"},
	{'f', "folded", NULL, "print folded stacks (comm;root;...;leaf BYTES) for flame graphs"},
	{'T', "top", "N", "show the N largest stacks in the text report (default 10, 0 for all)"},
	{CLI_OPT_LINES, "lines", NULL,
	 "name frames with their source file:line where DWARF has it\n"
	 "(a -g build, or a debug file under /usr/lib/debug)"},
	{'O', "object", "OBJ",
	 "probe only the allocator in OBJ (a path, a file name, or c for libc)"},
	{CLI_OPT_JSON, "json", "FILE", "also write the report as JSON to FILE"},
	{CLI_OPT_SVG, "svg", "FILE", "also write an interactive flame graph to FILE"},
	{CLI_OPT_PPROF, "pprof", "FILE",
	 "also write a gzipped pprof profile to FILE (go tool pprof); with\n"
	 "-i, one per interval too, into FILE as a directory or a name\n"
	 "with %d for the interval's number"},
	{OPT_MIN_AGE, "min-age", "MS", "report only blocks at least MS milliseconds old at the end\n"
				       "(leaves out requests in flight)"},
	{CLI_OPT_STACK_STORAGE_SIZE, "stack-storage-size", "N",
	 "distinct stacks the BPF stack map holds (default 16384)"},
	{OPT_LIVE_BLOCKS, "live-blocks", "N", "unfreed blocks tracked at once (default 1000000)"},
	{OPT_PROBE_AT_ENTRY, "probe-at-entry", NULL,
	 "probe functions at their entry, not at their first instruction\n"
	 "the kernel emulates (slower; for comparison)"},
	{CLI_OPT_UNWIND, "unwind", "MODE", "how stacks are walked: fp (frame pointers), cfi (the unwind\n"
					   "tables of every object's .eh_frame), or auto (tables for\n"
					   "objects built without frame pointers; the default)"},
	{'v', "verbose", NULL, "say, object by object, which allocator functions were attached"},
	{CLI_OPT_EBPF, "ebpf", NULL, "print the BPF program as it will be compiled, and exit"},
	{CLI_OPT_DIFF, "diff", "BEFORE.json",
	 "trace nothing: compare BEFORE.json with AFTER.json (the positional\n"
	 "argument), or one -i report's first and last interval; the\n"
	 "stacks that grew and shrank most, with -f, --json, --svg"},
	{0},
};

static const struct cli_spec spec = {
	.usage = "Usage: memstacks [-h] [-p PID[,PID...] | -c COMMAND | --cgroup PATH]\n"
		 "                 [--children] [-t TID] [-a] [-i SECONDS] [-f] [-T N]\n"
		 "                 [--lines] [-O OBJ] [--json FILE] [--svg FILE] [--pprof FILE]\n"
		 "                 [--min-age MS] [--stack-storage-size N] [--live-blocks N]\n"
		 "                 [--probe-at-entry] [--unwind MODE] [-v] [duration]\n"
		 "       memstacks --diff BEFORE.json [AFTER.json] [-f] [-T N] [--json FILE]\n"
		 "                 [--svg FILE] [-v]\n",
	.summary = "Show the call stacks that allocate heap memory in a running process: glibc,\n"
		   "jemalloc, tcmalloc, mimalloc and C++'s operator new, found by their ELF symbols.\n",
	.options = options,
	.examples =
		"  memstacks 30                   # every process on the host for 30 seconds\n"
		"  memstacks -p 181,182 30        # two processes, each stack under its own\n"
		"  memstacks -p 181 --children    # PID 181 and the workers it forks, through exec\n"
		"  memstacks --cgroup /sys/fs/cgroup/system.slice/nginx.service\n"
		"                                 # a container or service, by its cgroup v2 directory\n"
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
		"  memstacks -p 181 --pprof heap.pb.gz 30\n"
		"                                 # a pprof profile of 30 seconds' unfreed allocations,\n"
		"                                 # for go tool pprof\n"
		"  memstacks -p 181 -i 60 --pprof trail/ 3600\n"
		"                                 # a profile every minute for an hour, into trail/\n"
		"  memstacks -p 181 --unwind fp   # stacks by frame pointers only: cheaper, but cut\n"
		"                                 # short in code built without them\n"
		"  memstacks -p 181 -O /opt/app/lib/libc.so.6\n"
		"                                 # only the allocator in that object\n"
		"  memstacks -c 'env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ./server'\n"
		"                                 # a command run on jemalloc, followed through its exec\n"
		"  memstacks --diff before.json after.json\n"
		"                                 # what grew and shrank between two runs' --json\n"
		"  memstacks --diff run.json --svg diff.svg\n"
		"                                 # one -i run's first and last interval compared,\n"
		"                                 # as a differential flame graph\n",
};

static enum cli_result parse_option(int option, const char *value, void *tool_settings)
{
	struct memstacks_settings *settings = tool_settings;

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

enum cli_result memstacks_settings__parse(int argc, char **argv,
					  struct memstacks_settings *settings)
{
	enum cli_result result;

	*settings = (struct memstacks_settings){.live_blocks = DEFAULT_LIVE_BLOCKS};
	cli_settings__init(&settings->common);
	result = cli_parse(argc, argv, &spec, parse_option, settings, &settings->common);
	/* -a keeps no blocks: nothing to sample or to age. */
	if (result == CLI_CONTINUE && settings->all && settings->common.interval_s)
		return cli_usage_error("-i follows unfreed bytes: drop -a");
	if (result == CLI_CONTINUE && settings->all && settings->min_age_ms)
		return cli_usage_error("--min-age ages unfreed blocks: drop -a");
	return result;
}

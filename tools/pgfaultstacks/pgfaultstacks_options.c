#include "pgfaultstacks_options.h"

#define DEFAULT_MAX_PAGES 1048576	/* 4 GiB of 4 KiB pages */

enum pgfaultstacks_option {
	OPT_ALL_FAULTS = CLI_OPT_FIRST_TOOL_OPTION,
	OPT_MAX_PAGES,
};

static const struct cli_option options[] = {
	{'h', "help", NULL, "show this help and exit"},
	{'p', "pid", "PID[,PID...]",
	 "trace these processes (default: every process on the host)"},
	{'t', "tid", "TID",
	 "trace only the faults of this thread (of -p PID, or of its own process)"},
	{'c', "command", "CMD", "run CMD (one quoted argument) and trace it from its first fault"},
	{CLI_OPT_CHILDREN, "children", NULL,
	 "also trace the processes -p's or -c's processes start while\n"
	 "tracing, through exec"},
	{CLI_OPT_CGROUP, "cgroup", "PATH",
	 "trace the processes of this cgroup v2 directory and its\n"
	 "descendants, including those that join while tracing"},
	{'i', "interval", "SECONDS", "print the resident pages every SECONDS, and class each stack\n"
				     "by its series: leak suspect, plateau or transient"},
	{'f', "folded", NULL, "print folded stacks (comm;root;...;leaf PAGES) for flame graphs"},
	{'T', "top", "N", "show the N largest stacks in the text report (default 10, 0 for all)"},
	{CLI_OPT_LINES, "lines", NULL,
	 "name frames with their source file:line where DWARF has it\n"
	 "(a -g build, or a debug file under /usr/lib/debug)"},
	{OPT_ALL_FAULTS, "all-faults", NULL,
	 "count every page fault per stack, nothing filtered (what perf\n"
	 "and stackcount count)"},
	{CLI_OPT_JSON, "json", "FILE", "also write the report as JSON to FILE"},
	{CLI_OPT_SVG, "svg", "FILE", "also write an interactive flame graph to FILE"},
	{CLI_OPT_PPROF, "pprof", "FILE",
	 "also write a gzipped pprof profile to FILE (go tool pprof); with\n"
	 "-i, one per interval too, into FILE as a directory or a name\n"
	 "with %d for the interval's number"},
	{CLI_OPT_STACK_STORAGE_SIZE, "stack-storage-size", "N",
	 "distinct stacks the BPF stack map holds (default 16384)"},
	{OPT_MAX_PAGES, "max-pages", "N", "pages recorded at once (default 1048576)"},
	{CLI_OPT_UNWIND, "unwind", "MODE", "how stacks are walked: fp (frame pointers), cfi (the unwind\n"
					   "tables of every object's .eh_frame), or auto (tables for\n"
					   "objects built without frame pointers; the default)"},
	{'v', "verbose", NULL, "say what was attached"},
	{CLI_OPT_EBPF, "ebpf", NULL, "print the BPF program as it will be compiled, and exit"},
	{CLI_OPT_DIFF, "diff", "BEFORE.json",
	 "trace nothing: compare BEFORE.json with AFTER.json (the positional\n"
	 "argument), or one -i report's first and last interval; the\n"
	 "stacks that grew and shrank most, with -f, --json, --svg"},
	{0},
};

static const struct cli_spec spec = {
	.usage = "Usage: pgfaultstacks [-h] [-p PID[,PID...] | -c COMMAND | --cgroup PATH]\n"
		 "                     [--children] [-t TID] [-i SECONDS] [-f] [-T N]\n"
		 "                     [--lines] [--all-faults] [--json FILE] [--svg FILE]\n"
		 "                     [--pprof FILE] [--stack-storage-size N] [--max-pages N]\n"
		 "                     [--unwind MODE] [-v] [duration]\n"
		 "       pgfaultstacks --diff BEFORE.json [AFTER.json] [-f] [-T N] [--json FILE]\n"
		 "                     [--svg FILE] [-v]\n",
	.summary = "Show the call stacks whose page faults made a running process's RSS grow, in pages\n"
		   "faulted in while tracing and still resident at its end.\n",
	.options = options,
	.examples =
		"  pgfaultstacks 30               # every process on the host for 30 seconds\n"
		"  pgfaultstacks -p 181,182 30    # two processes, each stack under its own\n"
		"  pgfaultstacks -p 181 --children\n"
		"                                 # PID 181 and the workers it forks, through exec\n"
		"  pgfaultstacks --cgroup /sys/fs/cgroup/system.slice/nginx.service\n"
		"                                 # a container or service, by its cgroup v2 directory\n"
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
		"                                 # a flame graph of 30 seconds' resident pages\n"
		"  pgfaultstacks -p 181 --pprof pages.pb.gz 30\n"
		"                                 # a pprof profile of 30 seconds' resident pages,\n"
		"                                 # for go tool pprof\n"
		"  pgfaultstacks --diff before.json after.json\n"
		"                                 # what grew and shrank between two runs' --json\n"
		"  pgfaultstacks --diff run.json --svg diff.svg\n"
		"                                 # one -i run's first and last interval compared,\n"
		"                                 # as a differential flame graph\n",
};

static enum cli_result parse_option(int option, const char *value, void *tool_settings)
{
	struct pgfaultstacks_settings *settings = tool_settings;

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

enum cli_result pgfaultstacks_settings__parse(int argc, char **argv,
					      struct pgfaultstacks_settings *settings)
{
	enum cli_result result;

	*settings = (struct pgfaultstacks_settings){.max_pages = DEFAULT_MAX_PAGES};
	cli_settings__init(&settings->common);
	result = cli_parse(argc, argv, &spec, parse_option, settings, &settings->common);
	/* Faults only add up: there is no series of what is held to class. */
	if (result == CLI_CONTINUE && settings->all_faults && settings->common.interval_s)
		return cli_usage_error("-i follows resident pages: drop --all-faults");
	return result;
}

/*
 * The command line both tools share: the target (-p, -t, -c, --children,
 * --cgroup, or the whole host), the output (-f,
 * -T, --json, --svg, --pprof), the stack map size, --ebpf, -v and the duration, parsed from
 * each tool's option table (struct cli_spec), which also gives --help.
 */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "unwind/unwind_tables.h"

/* Processes -p can list. */
#define CLI_MAX_PIDS 64

struct cli_settings {
	pid_t pid;			/* -p with one PID (or -t's process): a one-process trace */
	pid_t pids[CLI_MAX_PIDS];	/* -p PID[,PID...] */
	size_t pid_count;
	pid_t tid;			/* -t: 0 traces every thread */
	const char *command;		/* -c */
	bool children;			/* --children: and what the targets start */
	const char *cgroup;		/* --cgroup: a cgroup v2 directory */
	bool folded;			/* -f */
	bool lines;			/* --lines */
	uint64_t top;			/* -T */
	const char *json_path;		/* --json */
	const char *svg_path;		/* --svg */
	const char *pprof_path;		/* --pprof: a file, or with -i a directory or a %d name */
	uint64_t stack_storage_size;	/* --stack-storage-size */
	bool verbose;			/* -v */
	bool print_ebpf;		/* --ebpf */
	uint64_t duration_s;		/* positional; 0 until Ctrl-C or exit */
	uint64_t interval_s;		/* -i: 0 reports only at the end */
	enum unwind_mode unwind;	/* --unwind: auto */
	const char *diff_before;	/* --diff: compare saved reports, trace nothing */
	const char *diff_after;		/* its second file; NULL: the first's intervals */
};

#define CLI_DEFAULT_TOP 10
#define CLI_DEFAULT_STACK_STORAGE_SIZE 16384

/* The options both tools have, by their getopt value: a letter, or one of these. */
enum cli_long_only_option {
	CLI_OPT_JSON = 256,
	CLI_OPT_STACK_STORAGE_SIZE,
	CLI_OPT_EBPF,
	CLI_OPT_SVG,
	CLI_OPT_UNWIND,
	CLI_OPT_CHILDREN,
	CLI_OPT_CGROUP,
	CLI_OPT_LINES,
	CLI_OPT_PPROF,
	CLI_OPT_DIFF,
	CLI_OPT_FIRST_TOOL_OPTION,	/* tools number their own long options from here */
};

/*
 * One option of a tool's table: its getopt value (the short option's letter,
 * or a number for a long option alone), its long name, the name of its value
 * (NULL for a flag), and its --help text, lines joined by newlines. A tool's
 * table lists its own options and the shared ones, in --help's order, each
 * with that tool's words; the parser and --help's option list are made from
 * it, so they cannot drift apart.
 */
struct cli_option {
	int value;
	const char *name;
	const char *value_name;
	const char *help;
};

/* A tool's command line: its table (ended by {0}) and the text of --help around it. */
struct cli_spec {
	const char *usage;	/* the "Usage:" lines */
	const char *summary;	/* what the tool shows */
	const struct cli_option *options;
	const char *examples;	/* the "examples:" lines, as the man page's EXAMPLES */
};

/* What a parse step decided. */
enum cli_result {
	CLI_NOT_MINE = -2,	/* a tool's option parser: not one of this tool's options */
	CLI_CONTINUE = -1,	/* go on */
	CLI_EXIT_OK = 0,	/* --help was printed */
	CLI_EXIT_USAGE = 2,	/* a usage error was printed */
};

/* A tool's own options: CLI_CONTINUE, a usage error, or CLI_NOT_MINE. */
typedef enum cli_result (*cli_tool_option_fn)(int option, const char *value, void *tool_settings);

/*
 * Parses the whole command line by `spec`: each option first by
 * `parse_tool_option`, then as a shared one; then the duration and the target
 * checks. With --diff the positional argument is the AFTER file, and only the
 * output options apply. Returns CLI_CONTINUE, or the exit code.
 */
enum cli_result cli_parse(int argc, char **argv, const struct cli_spec *spec,
			  cli_tool_option_fn parse_tool_option, void *tool_settings,
			  struct cli_settings *settings);

/* --help: usage, summary, the arguments, the option list from the table, the examples. */
void cli_print_help(const struct cli_spec *spec, FILE *out);

void cli_settings__init(struct cli_settings *settings);

/* A usage error: "<tool>: <message> (see <tool> --help)" on stderr; returns CLI_EXIT_USAGE. */
enum cli_result cli_usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Strict parsing for a tool's own numeric option: a usage error naming it otherwise. */
enum cli_result cli_parse_number(const char *option_name, const char *text, uint64_t min,
				 uint64_t max, uint64_t *value);

#endif

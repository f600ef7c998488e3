/*
 * The command line both tools share: the target (-p, -t, -c), the output (-f,
 * -T, --json), the stack map size, --ebpf, -v and the duration. Each tool
 * parses its own options and hands the rest to cli_settings__parse_option.
 */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "unwind/unwind_tables.h"

struct cli_settings {
	pid_t pid;			/* -p */
	pid_t tid;			/* -t: 0 traces every thread */
	const char *command;		/* -c */
	bool folded;			/* -f */
	uint64_t top;			/* -T */
	const char *json_path;		/* --json */
	const char *svg_path;		/* --svg */
	uint64_t stack_storage_size;	/* --stack-storage-size */
	bool verbose;			/* -v */
	bool print_ebpf;		/* --ebpf */
	uint64_t duration_s;		/* positional; 0 until Ctrl-C or exit */
	uint64_t interval_s;		/* -i: 0 reports only at the end */
	enum unwind_mode unwind;	/* --unwind: auto */
};

#define CLI_DEFAULT_TOP 10
#define CLI_DEFAULT_STACK_STORAGE_SIZE 16384

enum cli_long_only_option {
	CLI_OPT_JSON = 256,
	CLI_OPT_STACK_STORAGE_SIZE,
	CLI_OPT_EBPF,
	CLI_OPT_SVG,
	CLI_OPT_UNWIND,
	CLI_OPT_FIRST_TOOL_OPTION,	/* tools number their own long options from here */
};

/* The short options and long option entries of the shared settings. */
#define CLI_SHORT_OPTIONS ":hp:t:c:fT:vi:"
#define CLI_LONG_OPTIONS                                                           \
	{"help", no_argument, NULL, 'h'}, {"pid", required_argument, NULL, 'p'},   \
	{"tid", required_argument, NULL, 't'},                                     \
	{"command", required_argument, NULL, 'c'},                                 \
	{"folded", no_argument, NULL, 'f'}, {"top", required_argument, NULL, 'T'}, \
	{"verbose", no_argument, NULL, 'v'},                                       \
	{"interval", required_argument, NULL, 'i'},                                \
	{"json", required_argument, NULL, CLI_OPT_JSON},                           \
	{"stack-storage-size", required_argument, NULL, CLI_OPT_STACK_STORAGE_SIZE}, \
	{"ebpf", no_argument, NULL, CLI_OPT_EBPF},                                 \
	{"svg", required_argument, NULL, CLI_OPT_SVG},                             \
	{"unwind", required_argument, NULL, CLI_OPT_UNWIND}

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
 * Parses the whole command line: each option first by `parse_tool_option`,
 * then as a shared one; then the duration and the target checks. `options`
 * holds CLI_LONG_OPTIONS and the tool's own; `tool_short_options` is added to
 * CLI_SHORT_OPTIONS. Returns CLI_CONTINUE, or the exit code.
 */
enum cli_result cli_parse(int argc, char **argv, const char *tool_short_options,
			  const struct option *options, cli_tool_option_fn parse_tool_option,
			  void *tool_settings, struct cli_settings *settings, const char *help);

void cli_settings__init(struct cli_settings *settings);

/* A usage error: "<tool>: <message> (see <tool> --help)" on stderr; returns CLI_EXIT_USAGE. */
enum cli_result cli_usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/*
 * Handles one option getopt_long returned that is not the tool's own, the
 * help text included. `argv` and `optind` name the option in messages.
 */
enum cli_result cli_settings__parse_option(struct cli_settings *settings, int option,
					   const char *help, char **argv);

/* The duration, then checks that there is exactly one target. */
enum cli_result cli_settings__finish(struct cli_settings *settings, int argc, char **argv);

/* Strict parsing for a tool's own numeric option: a usage error naming it otherwise. */
enum cli_result cli_parse_number(const char *option_name, const char *text, uint64_t min,
				 uint64_t max, uint64_t *value);

#endif

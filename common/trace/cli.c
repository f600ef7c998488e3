#include "trace/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/errors.h"
#include "base/parse.h"
#include "trace/pprof_trail.h"

void cli_settings__init(struct cli_settings *settings)
{
	*settings = (struct cli_settings){
		.top = CLI_DEFAULT_TOP,
		.stack_storage_size = CLI_DEFAULT_STACK_STORAGE_SIZE,
	};
}

enum cli_result cli_usage_error(const char *format, ...)
{
	va_list args;

	fprintf(stderr, "%s: ", program_name);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fprintf(stderr, " (see %s --help)\n", program_name);
	return CLI_EXIT_USAGE;
}

enum cli_result cli_parse_number(const char *option_name, const char *text, uint64_t min,
				 uint64_t max, uint64_t *value)
{
	if (parse_u64(text, min, max, value))
		return CLI_CONTINUE;
	return cli_usage_error("invalid %s '%s': give a whole number from %llu to %llu",
			       option_name, text, (unsigned long long)min,
			       (unsigned long long)max);
}

static enum cli_result parse_id(const char *what, const char *text, pid_t *id)
{
	uint64_t value;

	if (!parse_u64(text, 1, INT32_MAX, &value))
		return cli_usage_error("invalid %s '%s': give a %s ID", what, text,
				       what[0] == 'P' ? "process" : "thread");
	*id = (pid_t)value;
	return CLI_CONTINUE;
}

/* -p PID[,PID...], and -p repeated: each adds its processes to the list. */
static enum cli_result parse_pids(const char *text, struct cli_settings *settings)
{
	char list[256], *item, *rest;
	enum cli_result result;

	if (strlen(text) >= sizeof(list))
		return cli_usage_error("-p '%.32s...' is too long: give at most %d PIDs", text,
				       CLI_MAX_PIDS);
	strcpy(list, text);
	for (item = strtok_r(list, ",", &rest); item; item = strtok_r(NULL, ",", &rest)) {
		if (settings->pid_count == CLI_MAX_PIDS)
			return cli_usage_error("too many PIDs: -p takes at most %d (use --cgroup for a larger set)",
					       CLI_MAX_PIDS);
		result = parse_id("PID", item, &settings->pids[settings->pid_count]);
		if (result != CLI_CONTINUE)
			return result;
		settings->pid_count++;
	}
	if (!settings->pid_count)
		return cli_usage_error("invalid PID '%s': give a process ID", text);
	settings->pid = settings->pid_count == 1 ? settings->pids[0] : 0;
	return CLI_CONTINUE;
}

/* One option getopt_long returned that is not the tool's own; `argv` names it in messages. */
static enum cli_result parse_shared_option(const struct cli_spec *spec,
					   struct cli_settings *settings, int option, char **argv)
{
	switch (option) {
	case 'h':
		cli_print_help(spec, stdout);
		return CLI_EXIT_OK;
	case 'p':
		return parse_pids(optarg, settings);
	case 't':
		return parse_id("TID", optarg, &settings->tid);
	case 'c':
		settings->command = optarg;
		return CLI_CONTINUE;
	case 'f':
		settings->folded = true;
		return CLI_CONTINUE;
	case 'T':
		return cli_parse_number("--top", optarg, 0, UINT32_MAX, &settings->top);
	case 'v':
		settings->verbose = true;
		return CLI_CONTINUE;
	case 'i':
		return cli_parse_number("--interval", optarg, 1, 86400, &settings->interval_s);
	case CLI_OPT_JSON:
		settings->json_path = optarg;
		return CLI_CONTINUE;
	case CLI_OPT_STACK_STORAGE_SIZE:
		return cli_parse_number("--stack-storage-size", optarg, 1, 1 << 24,
					&settings->stack_storage_size);
	case CLI_OPT_SVG:
		settings->svg_path = optarg;
		return CLI_CONTINUE;
	case CLI_OPT_UNWIND:
		if (!unwind_mode__parse(optarg, &settings->unwind))
			return cli_usage_error("--unwind takes auto, fp or cfi, not '%s'", optarg);
		return CLI_CONTINUE;
	case CLI_OPT_CHILDREN:
		settings->children = true;
		return CLI_CONTINUE;
	case CLI_OPT_CGROUP:
		settings->cgroup = optarg;
		return CLI_CONTINUE;
	case CLI_OPT_LINES:
		settings->lines = true;
		return CLI_CONTINUE;
	case CLI_OPT_PPROF:
		settings->pprof_path = optarg;
		return CLI_CONTINUE;
	case CLI_OPT_DIFF:
		settings->diff_before = optarg;
		return CLI_CONTINUE;
	case CLI_OPT_EBPF:
		settings->print_ebpf = true;
		return CLI_CONTINUE;
	case ':':
		return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
	default:
		return cli_usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

/* --diff: the AFTER file, and no option that only a trace takes (`tracing_option`). */
static enum cli_result finish_diff(struct cli_settings *settings, int argc, char **argv,
				   const struct cli_option *tracing_option)
{
	if (tracing_option)
		return cli_usage_error("--diff compares saved reports: --%s does not apply",
				       tracing_option->name);
	if (optind < argc)
		settings->diff_after = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s': --diff takes BEFORE.json [AFTER.json]",
				       argv[optind]);
	return CLI_CONTINUE;
}

/* The duration, then checks that the targets make one set; none is the whole host. */
static enum cli_result finish(struct cli_settings *settings, int argc, char **argv)
{
	const char *reason;

	if (optind < argc && !parse_u64(argv[optind++], 1, UINT32_MAX, &settings->duration_s))
		return cli_usage_error("invalid duration '%s': give a whole number of seconds",
				       argv[optind - 1]);
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (settings->print_ebpf)
		return CLI_CONTINUE;
	if (settings->pprof_path &&
	    (reason = pprof_trail__check_path(settings->pprof_path, settings->interval_s != 0)))
		return cli_usage_error("cannot use --pprof '%s': %s", settings->pprof_path, reason);
	if (settings->command && (settings->pid_count || settings->tid))
		return cli_usage_error("-c cannot be combined with -p or -t: give one target");
	if (settings->cgroup && (settings->command || settings->pid_count || settings->tid))
		return cli_usage_error("--cgroup cannot be combined with -p, -t or -c: give one target");
	if (settings->tid && settings->pid_count > 1)
		return cli_usage_error("-t names one thread: give -p with one PID, or leave -p out");
	if (settings->tid && settings->children)
		return cli_usage_error("-t traces one thread: --children cannot follow its forks");
	if (settings->children && !settings->command && !settings->pid_count)
		return cli_usage_error("--children follows the processes of -p or -c: give one of them");
	return CLI_CONTINUE;
}

/* The help's option column: "  -p, --pid PID", "      --json FILE". */
static int option_column(const struct cli_option *option, char *column, size_t size)
{
	char letter[8] = "    ";

	if (option->value < 128)
		snprintf(letter, sizeof(letter), "-%c, ", option->value);
	return snprintf(column, size, "  %s--%s%s%s", letter, option->name,
			option->value_name ? " " : "", option->value_name ? option->value_name : "");
}

/* Where the help's text column starts: argparse's width, which BCC's tools show. */
#define HELP_TEXT_COLUMN 24

static void print_option(const struct cli_option *option, FILE *out)
{
	char column[128];
	const char *line = option->help, *end;
	int width = option_column(option, column, sizeof(column));

	/* A column too wide for two spaces before the text puts the text below it. */
	if (width > HELP_TEXT_COLUMN - 2)
		fprintf(out, "%s\n%*s", column, HELP_TEXT_COLUMN, "");
	else
		fprintf(out, "%-*s", HELP_TEXT_COLUMN, column);
	for (;;) {
		end = strchr(line, '\n');
		if (!end) {
			fprintf(out, "%s\n", line);
			return;
		}
		fprintf(out, "%.*s\n%*s", (int)(end - line), line, HELP_TEXT_COLUMN, "");
		line = end + 1;
	}
}

void cli_print_help(const struct cli_spec *spec, FILE *out)
{
	const struct cli_option *option;

	fprintf(out, "%s\n%s\n", spec->usage, spec->summary);
	fputs("positional arguments:\n"
	      "  duration              seconds to trace (default: until Ctrl-C or the target exits)\n"
	      "  AFTER.json            with --diff: the report to compare BEFORE.json with\n"
	      "\noptions:\n", out);
	for (option = spec->options; option->name; option++)
		print_option(option, out);
	fprintf(out, "\nexamples:\n%s", spec->examples);
}

/* The most options a table may have: getopt's tables are built on the stack. */
#define MAX_OPTIONS 40

/* getopt_long's short option string and long option table, from the tool's table. */
static int getopt_tables(const struct cli_spec *spec, char *short_options, size_t size,
			  struct option long_options[MAX_OPTIONS + 1])
{
	const struct cli_option *option;
	size_t used = 1, i = 0;

	/* A leading ':' makes a missing value its own error, apart from an unknown option. */
	snprintf(short_options, size, ":");
	for (option = spec->options; option->name && i < MAX_OPTIONS; option++, i++) {
		long_options[i] = (struct option){option->name,
						  option->value_name ? required_argument : no_argument,
						  NULL, option->value};
		if (option->value < 128 && used + 2 < size) {
			short_options[used++] = (char)option->value;
			if (option->value_name)
				short_options[used++] = ':';
			short_options[used] = '\0';
		}
	}
	long_options[i] = (struct option){0};
	if (!option->name)
		return 0;
	print_error("the option table has more than %d options (raise MAX_OPTIONS)", MAX_OPTIONS);
	return -E2BIG;
}

/* What --diff takes beside its files: the outputs, -v and --help. */
static bool applies_to_diff(int option)
{
	switch (option) {
	case 'h':
	case 'f':
	case 'T':
	case 'v':
	case CLI_OPT_JSON:
	case CLI_OPT_SVG:
	case CLI_OPT_DIFF:
		return true;
	default:
		return false;
	}
}

static const struct cli_option *option_of(const struct cli_spec *spec, int value)
{
	const struct cli_option *option;

	for (option = spec->options; option->name; option++) {
		if (option->value == value)
			return option;
	}
	return NULL;
}

enum cli_result cli_parse(int argc, char **argv, const struct cli_spec *spec,
			  cli_tool_option_fn parse_tool_option, void *tool_settings,
			  struct cli_settings *settings)
{
	struct option long_options[MAX_OPTIONS + 1];
	const struct cli_option *tracing_option = NULL;
	enum cli_result result = CLI_CONTINUE;
	char short_options[2 * MAX_OPTIONS + 2];
	int option;

	if (getopt_tables(spec, short_options, sizeof(short_options), long_options))
		return 1;
	opterr = 0;
	while (result == CLI_CONTINUE &&
	       (option = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		result = parse_tool_option(option, optarg, tool_settings);
		if (result == CLI_NOT_MINE)
			result = parse_shared_option(spec, settings, option, argv);
		if (!tracing_option && !applies_to_diff(option))
			tracing_option = option_of(spec, option);
	}
	if (result != CLI_CONTINUE)
		return result;
	if (settings->diff_before)
		return finish_diff(settings, argc, argv, tracing_option);
	return finish(settings, argc, argv);
}

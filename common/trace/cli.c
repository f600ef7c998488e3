#include "trace/cli.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/errors.h"
#include "base/parse.h"

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

enum cli_result cli_settings__parse_option(struct cli_settings *settings, int option,
					   const char *help, char **argv)
{
	switch (option) {
	case 'h':
		fputs(help, stdout);
		return CLI_EXIT_OK;
	case 'p':
		return parse_id("PID", optarg, &settings->pid);
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
	case CLI_OPT_EBPF:
		settings->print_ebpf = true;
		return CLI_CONTINUE;
	case ':':
		return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
	default:
		return cli_usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

enum cli_result cli_settings__finish(struct cli_settings *settings, int argc, char **argv)
{
	if (optind < argc && !parse_u64(argv[optind++], 1, UINT32_MAX, &settings->duration_s))
		return cli_usage_error("invalid duration '%s': give a whole number of seconds",
				       argv[optind - 1]);
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (settings->print_ebpf)
		return CLI_CONTINUE;
	if (settings->command && (settings->pid || settings->tid))
		return cli_usage_error("-c cannot be combined with -p or -t: give one target");
	if (!settings->command && !settings->pid && !settings->tid)
		return cli_usage_error("no target: give -p PID or -c COMMAND");
	return CLI_CONTINUE;
}

enum cli_result cli_parse(int argc, char **argv, const char *tool_short_options,
			  const struct option *options, cli_tool_option_fn parse_tool_option,
			  void *tool_settings, struct cli_settings *settings, const char *help)
{
	enum cli_result result = CLI_CONTINUE;
	char short_options[64];
	int option;

	snprintf(short_options, sizeof(short_options), "%s%s", CLI_SHORT_OPTIONS,
		 tool_short_options);
	opterr = 0;
	while (result == CLI_CONTINUE &&
	       (option = getopt_long(argc, argv, short_options, options, NULL)) != -1) {
		result = parse_tool_option(option, optarg, tool_settings);
		if (result == CLI_NOT_MINE)
			result = cli_settings__parse_option(settings, option, help, argv);
	}
	return result == CLI_CONTINUE ? cli_settings__finish(settings, argc, argv) : result;
}

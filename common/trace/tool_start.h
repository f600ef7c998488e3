/* The steps every tool takes between parsing its command line and attaching. */
#ifndef TOOL_START_H
#define TOOL_START_H

#include <sys/types.h>

#include "trace/bcc_module.h"
#include "trace/cli.h"
#include "report/report_output.h"
#include "trace/target.h"
#include "unwind/unwind_tables.h"

/* A tool's -D settings for a program that traces `pid`: 0 or -errno. */
typedef int (*build_defines_fn)(const void *tool_settings, pid_t pid,
				struct bpf_defines *defines);

/*
 * With --ebpf, prints `bpf_text` specialised by `build_defines` and returns
 * NULL with *exit_code 0. Otherwise installs the signal handlers, checks the
 * requirements, creates the --json and --svg files in `files`, removes stale
 * probes of earlier runs, opens or starts the target (-p, -t, -c), reads
 * its unwind tables into `*unwind` (--unwind), and compiles the program for
 * it with them: the program, or NULL with *exit_code 1 after printing why.
 * The caller frees `*unwind` either way.
 */
struct bcc_module *tool_start(const struct cli_settings *settings, const void *tool_settings,
			       build_defines_fn build_defines, const char *bpf_text,
			       struct target *target, struct report_files *files,
			       struct unwind_tables **unwind, int *exit_code);

#endif

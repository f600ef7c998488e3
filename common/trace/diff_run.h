/*
 * --diff: a tool's two saved reports compared, nothing traced. BEFORE.json
 * and AFTER.json (or one report's first and last interval of -i) are read,
 * checked to be of the tool and of one mode, matched stack by stack
 * (report/stack_diff.h), and written as the options ask: the stacks that grew
 * and shrank most on stdout (-T), differential folded stacks (-f), JSON
 * (--json), a differential flame graph (--svg), and a summary on stderr.
 */
#ifndef DIFF_RUN_H
#define DIFF_RUN_H

#include "report/saved_report.h"
#include "trace/cli.h"

/*
 * The --diff mode of tool `tool` (program_name), whose JSON modes are `modes`
 * (ended by {0}), as `settings` asks. Returns the exit code: 0, or 1 after one
 * line saying why.
 */
int diff_run(const char *tool, const struct saved_mode *modes,
	     const struct cli_settings *settings);

#endif

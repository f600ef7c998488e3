/* pgfaultstacks' command line: its settings and option table. */
#ifndef PGFAULTSTACKS_OPTIONS_H
#define PGFAULTSTACKS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/cli.h"

struct pgfaultstacks_settings {
	struct cli_settings common;	/* target, output, duration */
	bool all_faults;		/* --all-faults: every fault, nothing filtered */
	uint64_t max_pages;		/* --max-pages */
};

/* Parses the command line into `settings`: CLI_CONTINUE to go on, else the exit code. */
enum cli_result pgfaultstacks_settings__parse(int argc, char **argv,
					      struct pgfaultstacks_settings *settings);

#endif

/* memstacks' command line: its settings and option table. */
#ifndef MEMSTACKS_OPTIONS_H
#define MEMSTACKS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/cli.h"

struct memstacks_settings {
	struct cli_settings common;	/* target, output, duration */
	bool all;			/* -a: every allocation, frees ignored */
	const char *object;		/* -O: only this object's allocator */
	bool probe_at_entry;		/* --probe-at-entry: no probe placement */
	uint64_t live_blocks;		/* --live-blocks */
	uint64_t min_age_ms;		/* --min-age: younger blocks are left out of the report */
};

/* Parses the command line into `settings`: CLI_CONTINUE to go on, else the exit code. */
enum cli_result memstacks_settings__parse(int argc, char **argv,
					  struct memstacks_settings *settings);

#endif

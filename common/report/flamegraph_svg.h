/* A self-contained interactive flame graph of a stack report, as SVG. */
#ifndef FLAMEGRAPH_SVG_H
#define FLAMEGRAPH_SVG_H

#include <stdio.h>

#include "process/frame_origins.h"
#include "report/stack_report.h"

struct flamegraph_labels {
	const char *title;	/* "Unfreed allocations" */
	const char *subtitle;	/* PID, command, duration, totals */
	const char *unit;	/* "bytes", "pages" */
};

/*
 * Writes `report` to `out` as an SVG flame graph: frame width by value, a
 * tooltip with the frame's value and share, click to zoom, search, colours by
 * `origins` (NULL: all as the program's). Needs no network and no other file.
 * Every name is escaped (untrusted_text): a symbol can never become markup or
 * script. Returns 0 or -ENOMEM.
 */
int flamegraph_svg__write(FILE *out, const struct stack_report *report,
			  const struct flamegraph_labels *labels, const struct frame_origins *origins);

#endif

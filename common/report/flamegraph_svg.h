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
 * tooltip with the frame's value and share (and its source file:line when
 * `origins` has its site's), click to zoom, search, colours by `origins`
 * (NULL: all as the program's). Needs no network and no other file.
 * Every name is escaped (untrusted_text): a symbol can never become markup or
 * script. Returns 0 or -ENOMEM.
 */
int flamegraph_svg__write(FILE *out, const struct stack_report *report,
			  const struct flamegraph_labels *labels, const struct frame_origins *origins);

/*
 * A differential flame graph of `after` against `before` (their frames
 * matched by name): width by the after figure, red for frames that grew, blue
 * for those that shrank, grey for unchanged, deeper the larger the change; the
 * tooltip gives before, after and the change. Frames only `before` has take
 * no width. Returns 0 or -ENOMEM.
 */
int flamegraph_svg__write_diff(FILE *out, const struct stack_report *before,
			       const struct stack_report *after,
			       const struct flamegraph_labels *labels,
			       const struct frame_origins *origins);

#endif

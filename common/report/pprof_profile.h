/*
 * A stack report as a pprof profile (profile.proto, gzip-compressed), as
 * `go tool pprof`, Pyroscope, Parca and speedscope read it: one sample per
 * stack, with the process's pid and comm (and its class under -i) as
 * labels; one location per frame of code, the functions inlined at it as
 * its extra lines; and the mapping of each object, with its path, build ID
 * and file offset, so that pprof can symbolize again from debug files.
 */
#ifndef PPROF_PROFILE_H
#define PPROF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "process/frame_origins.h"
#include "report/stack_report.h"

/* One of a sample's values, as Go's heap profiles name them ("inuse_space", "bytes"). */
struct pprof_sample_type {
	const char *type;
	const char *unit;
	bool from_count;	/* the stack's count (its events), else its value */
	uint64_t scale;		/* how many `unit` one of them is: 4096 bytes a page */
};

/* What a tool's profiles hold: their sample types, and what is counted between samples. */
struct pprof_kind {
	const struct pprof_sample_type *types;
	size_t type_count;		/* at most PPROF_MAX_TYPES */
	size_t default_type;		/* the one readers show unless told */
	const char *period_type;	/* every event is counted: a period of 1 of these */
	const char *period_unit;
};

#define PPROF_MAX_TYPES 4

/* What a profile says besides its stacks. */
struct pprof_description {
	const struct pprof_kind *kind;
	int64_t time_ns;		/* when tracing began, since the epoch */
	int64_t duration_ns;
	const char *comment;		/* NULL for none */
	/* The labels of stacks without an owner: the one traced process, or NULL. */
	const struct stack_owner *process;
};

/*
 * Writes `report` as a gzipped profile to `out`, its frames placed by
 * `origins` (NULL: names alone). Returns 0, -ENOMEM, or -EIO when `out`
 * failed.
 */
int pprof_profile__write(FILE *out, const struct stack_report *report,
			 const struct frame_origins *origins,
			 const struct pprof_description *description);

#endif

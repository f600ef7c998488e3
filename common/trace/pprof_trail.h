/*
 * The files --pprof writes: the profile of the whole trace and, with -i, one
 * per interval, each complete as soon as its interval ends, so that a long
 * trace leaves a trail that a crash of the tool does not take with it.
 *
 *   --pprof FILE            FILE, at the end
 *   --pprof DIR/ (-i)       DIR/TOOL-0001.pb.gz, DIR/TOOL-0002.pb.gz, ...,
 *                           and DIR/TOOL-final.pb.gz at the end
 *   --pprof NAME%dX (-i)    the interval's number for %d (%04d pads it),
 *                           "final" for the end; %% is a percent sign
 */
#ifndef PPROF_TRAIL_H
#define PPROF_TRAIL_H

#include <stdbool.h>

#include "report/output_file.h"

struct pprof_trail {
	char *directory;	/* DIR/ under -i, else NULL */
	char *pattern;		/* a name with %d under -i, else NULL */
	unsigned int intervals;	/* interval profiles begun */
	struct output_file *final;
};

/*
 * NULL when --pprof's `path` can name its profiles (`intervals`: with -i),
 * else why not, as a usage error says it. Checked as the command line is.
 */
const char *pprof_trail__check_path(const char *path, bool intervals);

/*
 * Creates the final profile's file now (a directory without -i, or a path
 * that cannot be written, fails before anything is attached). Returns 0, or
 * prints why and returns -errno.
 */
int pprof_trail__open(struct pprof_trail *trail, const char *path, bool intervals);

/* Whether it writes a profile per interval (a directory or a %d name). */
bool pprof_trail__per_interval(const struct pprof_trail *trail);

/* The next interval's file, created: NULL after saying why. */
struct output_file *pprof_trail__next_interval(struct pprof_trail *trail);

/* Removes the final file unless it was written. Accepts a zeroed trail. */
void pprof_trail__free(struct pprof_trail *trail);

#endif

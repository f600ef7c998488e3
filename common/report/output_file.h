/*
 * A file a report is written to (--json, --svg), made so that nothing planted
 * at its path beforehand can redirect what root writes.
 *
 * The report goes to a new file with an unpredictable name (mkostemp: O_EXCL,
 * random suffix) in the same directory, renamed over the path once complete.
 * rename() replaces whatever is at the path, a symbolic link included, and
 * never follows it: a link another user planted in a shared directory such as
 * /tmp points nowhere we write. O_NOFOLLOW | O_EXCL on the path itself would
 * refuse such links too, but also last run's report; O_NOFOLLOW alone would
 * still truncate a regular file or a hard link someone placed there. And a
 * reader sees the previous report or the whole new one, never half of one.
 */
#ifndef OUTPUT_FILE_H
#define OUTPUT_FILE_H

#include <stdio.h>

struct output_file;

/*
 * Creates the temporary file beside `path` now, so that a path that cannot be
 * written fails before anything is attached; `option` ("--json") names it in
 * the error. Prints the reason and returns NULL on failure.
 */
struct output_file *output_file__create(const char *path, const char *option);

FILE *output_file__stream(struct output_file *file);

/*
 * Closes the stream and renames the file over its path. Returns 0, or prints
 * the reason and returns -errno (output_file__free then removes the file).
 */
int output_file__commit(struct output_file *file);

/* Removes the temporary file unless it was committed. Accepts NULL. */
void output_file__free(struct output_file *file);

#endif

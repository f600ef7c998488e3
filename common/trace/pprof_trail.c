#include "trace/pprof_trail.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/errors.h"

/* The widest %0Nd: more digits than a 32-bit count of intervals has is no use. */
#define MAX_NUMBER_WIDTH 10

/*
 * Reads the conversion at `text` (just past a '%'): "d", "4d" or "04d". Its
 * length, or 0 when it is none of them.
 */
static size_t conversion_length(const char *text, unsigned int *width, bool *zeros)
{
	size_t length = 0;

	*zeros = text[0] == '0';
	*width = 0;
	while (text[length] >= '0' && text[length] <= '9' && length < 3)
		*width = *width * 10 + (unsigned int)(text[length++] - '0');
	if (text[length] != 'd' || *width > MAX_NUMBER_WIDTH)
		return 0;
	return length + 1;
}

/* How many %d `path` has; -1 when a '%' begins something else. */
static int count_conversions(const char *path)
{
	unsigned int width;
	int conversions = 0;
	size_t length;
	bool zeros;

	for (; *path; path++) {
		if (*path != '%')
			continue;
		if (path[1] == '%') {
			path++;
			continue;
		}
		length = conversion_length(path + 1, &width, &zeros);
		if (!length)
			return -1;
		conversions++;
		path += length;
	}
	return conversions;
}

const char *pprof_trail__check_path(const char *path, bool intervals)
{
	int conversions = count_conversions(path);

	if (conversions < 0)
		return "a name takes one %d (or %04d) for the interval, and %% for a percent sign";
	if (conversions > 1)
		return "a name takes one %d for the interval, not several";
	if (conversions && !intervals)
		return "%d numbers the profiles of -i, and -i is not given";
	return NULL;
}

/* `pattern` with its %d as `number`, or "final" when `number` is 0; %% as %. NULL: out of memory. */
static char *expand(const char *pattern, unsigned int number)
{
	size_t size = strlen(pattern) + MAX_NUMBER_WIDTH + 8, used = 0, length;
	char *path = malloc(size);
	unsigned int width;
	bool zeros;

	for (; path && *pattern; pattern++) {
		if (*pattern != '%') {
			path[used++] = *pattern;
		} else if (pattern[1] == '%') {
			path[used++] = '%';
			pattern++;
		} else {
			length = conversion_length(pattern + 1, &width, &zeros);
			if (number)
				used += snprintf(path + used, size - used, zeros ? "%0*u" : "%*u",
						 (int)width, number);
			else
				used += snprintf(path + used, size - used, "final");
			pattern += length;
		}
	}
	if (path)
		path[used] = '\0';
	return path;
}

/* DIR/TOOL-0001.pb.gz, or DIR/TOOL-final.pb.gz for `number` 0. */
static char *in_directory(const char *directory, unsigned int number)
{
	const char *slash = directory[strlen(directory) - 1] == '/' ? "" : "/";
	char *path;
	int length;

	if (number)
		length = asprintf(&path, "%s%s%s-%04u.pb.gz", directory, slash, program_name, number);
	else
		length = asprintf(&path, "%s%s%s-final.pb.gz", directory, slash, program_name);
	return length < 0 ? NULL : path;
}

static bool is_directory(const char *path)
{
	struct stat status;

	return path[strlen(path) - 1] == '/' || (!stat(path, &status) && S_ISDIR(status.st_mode));
}

/* The path of profile `number` (0: the final one). NULL: out of memory. */
static char *profile_path(const struct pprof_trail *trail, unsigned int number)
{
	if (trail->directory)
		return in_directory(trail->directory, number);
	return expand(trail->pattern, number);
}

int pprof_trail__open(struct pprof_trail *trail, const char *path, bool intervals)
{
	bool directory = *path && is_directory(path);
	bool pattern = !directory && intervals && count_conversions(path) > 0;
	char *final_path;

	*trail = (struct pprof_trail){0};
	if (directory && !intervals) {
		print_error("cannot write %s: it is a directory (give --pprof a file name, or -i SECONDS for a profile per interval in it)",
			    path);
		return -EISDIR;
	}
	if (directory)
		trail->directory = strdup(path);
	if (pattern)
		trail->pattern = strdup(path);
	/* A plain name is a pattern without %d: its %% is a percent sign too. */
	final_path = directory ? in_directory(path, 0) : expand(path, 0);
	if (!final_path || (directory && !trail->directory) || (pattern && !trail->pattern)) {
		free(final_path);
		print_error("cannot name the --pprof files: out of memory");
		pprof_trail__free(trail);
		return -ENOMEM;
	}
	trail->final = output_file__create(final_path, "--pprof");
	free(final_path);
	if (!trail->final) {
		pprof_trail__free(trail);
		return -EIO;
	}
	return 0;
}

bool pprof_trail__per_interval(const struct pprof_trail *trail)
{
	return trail->directory || trail->pattern;
}

struct output_file *pprof_trail__next_interval(struct pprof_trail *trail)
{
	char *path = profile_path(trail, ++trail->intervals);
	struct output_file *file;

	if (!path) {
		print_error("cannot name interval %u's profile: out of memory", trail->intervals);
		return NULL;
	}
	file = output_file__create(path, "--pprof");
	free(path);
	return file;
}

void pprof_trail__free(struct pprof_trail *trail)
{
	output_file__free(trail->final);
	free(trail->directory);
	free(trail->pattern);
	*trail = (struct pprof_trail){0};
}

/*
 * Prints the unwind rows cfi_rows__read makes of an ELF object, one line a
 * row, "ADDRESS CFA_RULE CFA_OFFSET RBP_RULE RBP_OFFSET", then "summary ..."
 * with the counts, for tests/test_cfi_rows.py. With --repeat N the object is
 * read N times and the summary gives the median time of a read (the figure
 * the README quotes); --summary leaves the rows out.
 *
 *   cfi_dump [--summary] [--repeat N] FILE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unwind/cfi_rows.h"

#define REPEAT_MAX 101

static const char *const cfa_rules[] = {"none", "rsp", "rbp", "plt", "root"};
static const char *const rbp_rules[] = {"same", "at_cfa", "unknown"};

static long long now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000000LL + now.tv_nsec;
}

static int compare_ns(const void *left, const void *right)
{
	long long a = *(const long long *)left, b = *(const long long *)right;

	return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
	long long read_ns[REPEAT_MAX];
	struct cfi_rows rows = {0};
	int repeat = 1, summary_only = 0, i, err = 0;
	const char *path = NULL;
	char *end;
	size_t r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--summary")) {
			summary_only = 1;
		} else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
			repeat = (int)strtol(argv[++i], &end, 10);
			if (*end || repeat < 1 || repeat > REPEAT_MAX)
				path = NULL, i = argc + 1;
		} else if (!path && argv[i][0] != '-') {
			path = argv[i];
		} else {
			i = argc + 1;
		}
	}
	if (!path || i > argc) {
		fprintf(stderr, "usage: cfi_dump [--summary] [--repeat 1-%d] FILE\n", REPEAT_MAX);
		return 2;
	}
	for (i = 0; i < repeat && !err; i++) {
		cfi_rows__free(&rows);
		read_ns[i] = now_ns();
		err = cfi_rows__read(path, &rows);
		read_ns[i] = now_ns() - read_ns[i];
	}
	if (err) {
		fprintf(stderr, "cfi_dump: cannot read the CFI of %s: %s\n", path, strerror(-err));
		return 1;
	}
	for (r = 0; !summary_only && r < rows.count; r++) {
		const struct unwind_row *row = &rows.rows[r];

		printf("%x %s %d %s %d\n", row->address, cfa_rules[row->cfa_rule], row->cfa_offset,
		       rbp_rules[row->rbp_rule], row->rbp_offset);
	}
	qsort(read_ns, repeat, sizeof(read_ns[0]), compare_ns);
	printf("summary rows %zu bytes %zu functions %zu frame_pointer %zu unreadable %zu "
	       "read_ms %.2f\n", rows.count, rows.count * sizeof(struct unwind_row),
	       rows.functions, rows.functions_with_frame_pointer, rows.functions_unreadable,
	       read_ns[repeat / 2] / 1e6);
	cfi_rows__free(&rows);
	return 0;
}

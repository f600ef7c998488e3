/*
 * Allocations at known source lines, for frames' sites and --lines: one
 * function allocating on two lines, and a helper inlined into its caller.
 * Each allocating line carries a marker comment, "site:NAME", by which the
 * test finds its number. After its work the target prints, from the sizes it
 * passed, "leak NAME BYTES COUNT" for each site.
 *
 * Built -O0 -g with frame pointers: only the always_inline helper is inlined
 * (GCC honours always_inline at -O0), every other call is real.
 */
#include <stdio.h>
#include <stdlib.h>

#include "signal_gate.h"

enum site { FIRST_LINE, SECOND_LINE, INLINED_HELPER, SITE_COUNT };

static const char *const site_names[SITE_COUNT] = {"first_line", "second_line", "inlined_helper"};
static size_t site_bytes[SITE_COUNT];
static int site_allocations[SITE_COUNT];

/* Keeps every block reachable: the allocations are the leaks. */
static void *kept[16];
static int kept_count;

static void keep(void *block, enum site site, size_t bytes)
{
	kept[kept_count++] = block;
	site_bytes[site] += bytes;
	site_allocations[site]++;
}

static inline __attribute__((always_inline)) void inlined_helper(size_t bytes)
{
	keep(malloc(bytes), INLINED_HELPER, bytes); /* site:inlined_helper */
}

static void __attribute__((noinline)) two_lines(void)
{
	for (int i = 0; i < 3; i++)
		keep(malloc(300), FIRST_LINE, 300); /* site:first_line */
	keep(malloc(700), SECOND_LINE, 700); /* site:second_line */
}

static void __attribute__((noinline)) calls_inlined(void)
{
	for (int i = 0; i < 2; i++)
		inlined_helper(1500); /* site:inlined_call */
}

static void work(void)
{
	two_lines();
	calls_inlined();
	for (int site = 0; site < SITE_COUNT; site++)
		printf("leak %s %zu %d\n", site_names[site], site_bytes[site],
		       site_allocations[site]);
}

int main(int argc, char **argv)
{
	return gate_run(argc, argv, work);
}

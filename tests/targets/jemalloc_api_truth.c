/*
 * A process that allocates through jemalloc's own API (mallocx, rallocx,
 * xallocx, sdallocx, dallocx), known to the byte; the expected figures live
 * in tests/test_jemalloc.py. Linked with -ljemalloc.
 *
 *   jemalloc_api_truth         run every site at once and exit (for -c)
 *   jemalloc_api_truth --wait  print "ready", wait for SIGUSR1, run every
 *                              site, print "done", wait for SIGUSR1, exit
 *
 * xallocx's result depends on jemalloc's size classes: the sites check it
 * and exit with 3 if it is not what the expected figures assume.
 */
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "signal_gate.h"

static void *kept[64];
static int kept_count;

static void *keep(void *block)
{
	return kept[kept_count++] = block;
}

static void expect(int condition, const char *what)
{
	if (!condition) {
		fprintf(stderr, "jemalloc_api_truth: %s\n", what);
		exit(3);
	}
}

static void leak_mallocx(void)
{
	keep(mallocx(700, 0));
	keep(mallocx(700, MALLOCX_ZERO));
}

static void leak_mallocx_aligned(void)
{
	void *block = keep(mallocx(5000, MALLOCX_ALIGN(4096)));

	expect(((unsigned long)block & 4095) == 0, "mallocx ignored MALLOCX_ALIGN");
}

static void *rallocx_start(void)
{
	return mallocx(100, 0);
}

static void leak_rallocx(void *block)
{
	keep(rallocx(block, 4000, 0));
}

static void *xallocx_start(void)
{
	return mallocx(4096, 0);
}

/* Shrinking within the 4096 size class succeeds in place: 4000 bytes now. */
static void shrink_xallocx(void *block)
{
	expect(xallocx(block, 4000, 0, 0) >= 4000, "xallocx did not shrink in place");
	keep(block);
}

static void *xallocx_kept_start(void)
{
	return mallocx(64, 0);
}

/* A 64-byte block cannot grow to 1 MiB in place: it stays as it was. */
static void fail_xallocx(void *block)
{
	expect(xallocx(block, 1 << 20, 0, 0) < (1 << 20), "xallocx grew a small block to 1 MiB");
	keep(block);
}

static void churn_sdallocx(void)
{
	for (int i = 0; i < 10; i++)
		sdallocx(mallocx(200, 0), 200, 0);
}

static void churn_dallocx(void)
{
	for (int i = 0; i < 10; i++)
		dallocx(mallocx(300, 0), 0);
}

/* None of these allocates: nothing to count. */
static void query_sizes(void)
{
	void *block = mallocx(50, 0);

	expect(malloc_usable_size(block) >= 50 && sallocx(block, 0) >= 50 && nallocx(50, 0) >= 50,
	       "a size query failed");
	dallocx(block, 0);
}

static void leak_malloc(void)
{
	keep(malloc(1000));
}

static void run_sites(void)
{
	leak_mallocx();
	leak_mallocx_aligned();
	leak_rallocx(rallocx_start());
	shrink_xallocx(xallocx_start());
	fail_xallocx(xallocx_kept_start());
	churn_sdallocx();
	churn_dallocx();
	query_sizes();
	leak_malloc();
}

int main(int argc, char **argv)
{
	return gate_run(argc, argv, run_sites);
}

/*
 * Does a read of untouched anonymous memory give the process a page of its
 * own, or map the shared zero page? Asked in a fresh process, for
 * tests/kernel_behaviour.py. PROBE_PAGES pages, kept out of huge pages (the
 * question is about the 4 KiB zero page), are read once each between two
 * readings of RssAnon; then their pages of its own are counted in the page
 * map, as page_toucher counts its sites, so that the tests can hold the two
 * ways of counting against each other.
 *
 * Prints "pages_read N", "rss_anon_kb BEFORE AFTER" and "own_pages N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "own_pages.h"
#include "proc_self.h"

/*
 * 16 MiB: the kernel's RSS counters may lag by a batch of pages per CPU,
 * which this dwarfs.
 */
#define PROBE_PAGES 4096

static volatile char sink;

static long rss_anon_kb(void)
{
	char status[4096];
	char *field;

	proc_self_read("status", status, sizeof(status));
	field = strstr(status, "\nRssAnon:");
	if (!field)
		abort();
	return strtol(field + strlen("\nRssAnon:"), NULL, 10);
}

int main(void)
{
	char *memory = mmap(NULL, PROBE_PAGES * OWN_PAGES_PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long before, after;

	if (memory == MAP_FAILED || madvise(memory, PROBE_PAGES * OWN_PAGES_PAGE, MADV_NOHUGEPAGE))
		abort();
	before = rss_anon_kb();
	for (size_t i = 0; i < PROBE_PAGES; i++)
		sink = memory[i * OWN_PAGES_PAGE];
	after = rss_anon_kb();
	own_pages_open();
	printf("pages_read %d\n", PROBE_PAGES);
	printf("rss_anon_kb %ld %ld\n", before, after);
	printf("own_pages %zu\n", own_pages(memory, PROBE_PAGES));
	return 0;
}

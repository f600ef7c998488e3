/*
 * Two runs of one program whose memory differs at known sites, for --diff:
 * the second run's leak doubles at one site and vanishes at another, a third
 * site holds the same in both.
 *
 *   diff_truth --wait heap|pages first|second
 *
 * prints "ready PID", waits for SIGUSR1, runs its sites, prints what each
 * did and "done", and waits for SIGUSR1 again before exiting (the tool reads
 * the live process at the end). heap: each site mallocs blocks of
 * BLOCK_BYTES and keeps them (memstacks); pages: each site writes pages of a
 * region mapped before tracing (pgfaultstacks). The figures are not assumed:
 * the target prints what it did, "site NAME BYTES" (the sizes it passed) or
 * "site NAME PAGES" (the pages of its own the site gained, in its page map).
 *
 *   site            first   second
 *   steady_site         5        5    blocks or pages
 *   growing_site        3        6    blocks (12 and 24 pages)
 *   vanishing_site      8        0    blocks (20 and 0 pages)
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "own_pages.h"
#include "quiet_faults.h"
#include "signal_gate.h"

#define BLOCK_BYTES 1000
#define MAX_BLOCKS 32
#define MAX_PAGES 32

struct site_count {
	const char *name;
	size_t blocks;		/* heap: blocks of BLOCK_BYTES; pages: pages written */
	char *region;		/* pages: mapped before tracing */
	long gained;		/* what it did: bytes passed, or pages gained */
};

/* Keeps every block reachable: nothing may call it garbage, no compiler may drop it. */
static void *volatile kept[3 * MAX_BLOCKS];
static size_t kept_count;
/* stdout's buffer: stdio would otherwise allocate one, and fault it in while printing. */
static char output_buffer[BUFSIZ];
static char warm_up[64];

static long allocate(size_t blocks)
{
	long bytes = 0;

	for (size_t i = 0; i < blocks; i++) {
		kept[kept_count] = malloc(BLOCK_BYTES);
		if (!kept[kept_count++])
			abort();
		bytes += BLOCK_BYTES;
	}
	return bytes;
}

static long write_pages(char *region, size_t pages)
{
	size_t own = own_pages(region, MAX_PAGES);

	for (size_t i = 0; i < pages; i++)
		region[i * OWN_PAGES_PAGE] = 1;
	return (long)own_pages(region, MAX_PAGES) - (long)own;
}

/* Each site its own function, so that a stack names it (the leaf for pages, the caller for heap). */
static long steady_site(struct site_count *site, int heap)
{
	return heap ? allocate(site->blocks) : write_pages(site->region, site->blocks);
}

static long growing_site(struct site_count *site, int heap)
{
	return heap ? allocate(site->blocks) : write_pages(site->region, site->blocks);
}

static long vanishing_site(struct site_count *site, int heap)
{
	return heap ? allocate(site->blocks) : write_pages(site->region, site->blocks);
}

static char *map_region(void)
{
	char *region = mmap(NULL, MAX_PAGES * OWN_PAGES_PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (region == MAP_FAILED)
		abort();
	return region;
}

int main(int argc, char **argv)
{
	int heap, second;
	struct site_count sites[3];

	if (argc != 4 || strcmp(argv[1], "--wait")) {
		fprintf(stderr, "usage: diff_truth --wait heap|pages first|second\n");
		return 2;
	}
	heap = !strcmp(argv[2], "heap");
	second = !strcmp(argv[3], "second");
	sites[0] = (struct site_count){"steady_site", 5, NULL, 0};
	sites[1] = (struct site_count){"growing_site", second ? 6 : 3, NULL, 0};
	sites[2] = (struct site_count){"vanishing_site", second ? 0 : 8, NULL, 0};
	if (!heap) {
		/* 12 and 24 pages growing, 20 and 0 vanishing: four pages a block. */
		for (int i = 0; i < 3; i++) {
			sites[i].region = map_region();
			sites[i].blocks *= i ? 4 : 1;
		}
		sites[2].blocks = second ? 0 : 20;
	}
	setvbuf(stdout, output_buffer, _IOFBF, sizeof(output_buffer));
	/* printf's first use reads libc's read-only data: let that fault now, not in the trace. */
	snprintf(warm_up, sizeof(warm_up), "site %s %ld\n", "steady_site", 1L);
	own_pages_open();
	touch_all_code();
	touch_static_data();
	touch_stack();
	gate_announce_ready();
	gate_wait();
	sites[0].gained = steady_site(&sites[0], heap);
	sites[1].gained = growing_site(&sites[1], heap);
	sites[2].gained = vanishing_site(&sites[2], heap);
	for (int i = 0; i < 3; i++)
		printf("site %s %ld\n", sites[i].name, sites[i].gained);
	gate_announce_done();
	gate_wait();
	return 0;
}

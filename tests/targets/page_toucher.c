/*
 * A process whose page faults are known exactly, for pgfaultstacks' tests.
 * Each site is its own function and touches memory itself (-O0, no memset),
 * so the faulting frame names it.
 *
 *   page_toucher --wait   ready, wait for SIGUSR1, run the sites, done, wait again
 *   page_toucher --stay   run the sites at once, done, wait for SIGUSR1 (for -c)
 *
 * What a site leaves resident is the kernel's choice (a read of untouched
 * memory maps the shared zero page, or gives a page of its own on kernels
 * booted with pvm_no_zero_page=1; a huge page is granted or not), so it is
 * not assumed: after each site the target counts, in its own page map, the
 * pages of its own the site gained in its region, and once all have run
 * prints them for tests/page_truth.py:
 *
 *   site NAME PAGES       a site's pages, one line per call
 *   small_blocks PAGES    heap pages fill_small_blocks gained (inside malloc too)
 *
 * Before the sites run, every page of code, static data and stack they or
 * the counting use is touched, so that no other fault mixes with theirs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "own_pages.h"
#include "proc_self.h"
#include "quiet_faults.h"
#include "signal_gate.h"

#define PAGE 4096UL
#define HUGE (2UL << 20)
#define FILE_PAGES 64
#define SMALL_BLOCKS 256
#define SMALL_BLOCK_BYTES 512
#define SITE_CALLS 16

/* A region one or more sites fault. */
struct region {
	char *start;
	size_t pages;
	size_t own;	/* its pages of its own at the last count: none when mapped */
};

struct gain {
	const char *site;
	long pages;
};

static volatile char sink;
static struct gain gains[SITE_CALLS];
static int gain_count;
static char *small_blocks[SMALL_BLOCKS];
/* stdout's buffer: stdio would otherwise allocate one, and fault it in while printing. */
static char output_buffer[BUFSIZ];
static char warm_up[64];

/*
 * `sharing`: MAP_PRIVATE, or MAP_SHARED for memory that lives in shmem and
 * counts as shared memory, not anonymous.
 */
static struct region map_anonymous(size_t pages, int sharing)
{
	char *memory = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, sharing | MAP_ANONYMOUS,
			    -1, 0);

	if (memory == MAP_FAILED)
		abort();
	return (struct region){memory, pages, 0};
}

/* A file of FILE_PAGES pages, all in the page cache, mapped read-only. */
static struct region map_cached_file(void)
{
	char path[] = "/tmp/page_toucher.XXXXXX", page[PAGE];
	int fd = mkstemp(path);
	char *mapped;

	if (fd < 0)
		abort();
	unlink(path);
	memset(page, 'x', sizeof(page));
	for (int i = 0; i < FILE_PAGES; i++) {
		if (write(fd, page, sizeof(page)) != sizeof(page))
			abort();
	}
	mapped = mmap(NULL, FILE_PAGES * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (mapped == MAP_FAILED)
		abort();
	close(fd);
	return (struct region){mapped, FILE_PAGES, 0};
}

/* Two 2 MiB-aligned huge page frames, asked for as huge pages. */
static struct region map_huge(void)
{
	struct region whole = map_anonymous(3 * HUGE / PAGE, MAP_PRIVATE);
	char *aligned = (char *)(((uintptr_t)whole.start + HUGE - 1) & ~(HUGE - 1));

	madvise(aligned, 2 * HUGE, MADV_HUGEPAGE);
	return (struct region){aligned, 2 * HUGE / PAGE, 0};
}

/* Records for `site` the pages of its own the process gained in `region` since the last count. */
static void record_gain(const char *site, struct region *region)
{
	size_t own = own_pages(region->start, region->pages);

	gains[gain_count++] = (struct gain){site, (long)own - (long)region->own};
	region->own = own;
}

/* A site runs on its region; what it gained there is recorded under its name. */
#define RUN_SITE(site, region)              \
	do {                                \
		site(region);               \
		record_gain(#site, region); \
	} while (0)

static void write_fresh_pages(struct region *region)
{
	for (size_t i = 0; i < region->pages; i++)
		region->start[i * PAGE] = 1;
}

static void write_then_unmap(struct region *region)
{
	for (size_t i = 0; i < region->pages; i++)
		region->start[i * PAGE] = 1;
	munmap(region->start, region->pages * PAGE);
}

static void write_then_dontneed(struct region *region)
{
	for (size_t i = 0; i < region->pages; i++)
		region->start[i * PAGE] = 1;
	madvise(region->start, region->pages * PAGE, MADV_DONTNEED);
}

/* Pages faulted in before tracing: writing them again adds nothing. */
static void rewrite_resident(struct region *region)
{
	for (size_t i = 0; i < region->pages; i++)
		region->start[i * PAGE] = 2;
}

/* A read maps the shared zero page, not counted in RSS, or a page of its own. */
static void read_zero_pages(struct region *region)
{
	for (size_t i = 0; i < region->pages; i++)
		sink = region->start[i * PAGE];
}

/* ... and a write then gives each page a page of its own, if the read did not. */
static void write_after_read(struct region *region)
{
	for (size_t i = 0; i < region->pages; i++)
		region->start[i * PAGE] = 1;
}

/* Every page is read; most are mapped around a fault (fault-around), not faulted. */
static void read_file_pages(struct region *region)
{
	for (size_t i = 0; i < region->pages; i++)
		sink = region->start[i * PAGE];
}

/* One byte written in each 2 MiB frame: 512 pages if the kernel grants a huge page. */
static void touch_huge_region(struct region *region)
{
	region->start[0] = 1;
	region->start[HUGE] = 1;
}

static void write_shared_pages(struct region *region)
{
	for (size_t i = 0; i < region->pages; i++)
		region->start[i * PAGE] = 1;
}

static void fill_small_blocks(void)
{
	for (int i = 0; i < SMALL_BLOCKS; i++) {
		small_blocks[i] = malloc(SMALL_BLOCK_BYTES);
		for (int j = 0; j < SMALL_BLOCK_BYTES; j++)
			small_blocks[i][j] = (char)j;
	}
}

/*
 * Where the kernel put the program break at exec, field 47 of
 * /proc/self/stat: the heap runs from there to the break.
 */
static uintptr_t heap_start(void)
{
	char stat[1024];
	char *field;

	proc_self_read("stat", stat, sizeof(stat));
	/* The command name, field 2, may hold spaces and parentheses: count from its end. */
	field = strrchr(stat, ')');
	for (int i = 2; field && i < 47; i++)
		field = strchr(field + 1, ' ');
	if (!field)
		abort();
	return strtoull(field + 1, NULL, 10);
}

static size_t heap_own_pages(uintptr_t start)
{
	uintptr_t end = ((uintptr_t)sbrk(0) + PAGE - 1) & ~(PAGE - 1);

	return own_pages((char *)start, (end - start) / PAGE);
}

int main(int argc, char **argv)
{
	int wait_first = argc > 1 && !strcmp(argv[1], "--wait");
	struct region fresh = map_anonymous(100, MAP_PRIVATE);
	struct region unmapped = map_anonymous(50, MAP_PRIVATE);
	struct region released = map_anonymous(40, MAP_PRIVATE);
	struct region resident = map_anonymous(30, MAP_PRIVATE);
	struct region read_then_written = map_anonymous(20, MAP_PRIVATE);
	struct region read_only = map_anonymous(10, MAP_PRIVATE);
	struct region file = map_cached_file();
	struct region huge = map_huge();
	struct region shared = map_anonymous(8, MAP_SHARED);
	uintptr_t heap = heap_start();
	size_t heap_before, small_block_pages;

	setvbuf(stdout, output_buffer, _IOFBF, sizeof(output_buffer));
	/*
	 * The lines printed after the sites read libc's read-only data (tables
	 * of the %s and %ld conversions) that "ready" does not: a fault there, in
	 * a mapping touch_all_code leaves alone, would be counted. Format them once now.
	 */
	snprintf(warm_up, sizeof(warm_up), "site %s %ld\nsmall_blocks %zu\n", "site", 1L, (size_t)1);
	own_pages_open();
	for (size_t i = 0; i < resident.pages; i++)
		resident.start[i * PAGE] = 1;
	resident.own = own_pages(resident.start, resident.pages);
	touch_all_code();
	touch_static_data();
	touch_stack();
	gate_announce_ready();
	if (wait_first)
		gate_wait();

	RUN_SITE(write_fresh_pages, &fresh);
	RUN_SITE(write_then_unmap, &unmapped);
	RUN_SITE(write_then_dontneed, &released);
	RUN_SITE(rewrite_resident, &resident);
	RUN_SITE(read_zero_pages, &read_then_written);
	RUN_SITE(write_after_read, &read_then_written);
	RUN_SITE(read_zero_pages, &read_only);
	RUN_SITE(read_file_pages, &file);
	RUN_SITE(touch_huge_region, &huge);
	/*
	 * A frame the fault left in small pages stays as counted: khugepaged
	 * would otherwise be free to make it huge before the trace ends.
	 */
	madvise(huge.start, huge.pages * PAGE, MADV_NOHUGEPAGE);
	RUN_SITE(write_shared_pages, &shared);
	heap_before = heap_own_pages(heap);
	fill_small_blocks();
	small_block_pages = heap_own_pages(heap) - heap_before;

	for (int i = 0; i < gain_count; i++)
		printf("site %s %ld\n", gains[i].site, gains[i].pages);
	printf("small_blocks %zu\n", small_block_pages);
	gate_announce_done();
	gate_wait();
	return 0;
}

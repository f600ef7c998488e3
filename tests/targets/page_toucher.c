/*
 * A process whose page faults are known exactly, for pgfaultstacks' tests.
 * Each site is its own function and touches memory itself (-O0, no memset),
 * so the faulting frame names it; the expected pages are in
 * tests/page_truth.py.
 *
 *   page_toucher --wait   ready, wait for SIGUSR1, run the sites, done, wait again
 *   page_toucher --stay   run the sites at once, done, wait for SIGUSR1 (for -c)
 *
 * Before the sites run, every page of code it maps is touched, so that
 * faults on code pages do not mix with the sites' own.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "signal_gate.h"

#define PAGE 4096UL
#define HUGE (2UL << 20)
#define FILE_PAGES 64
#define SMALL_BLOCKS 256
#define SMALL_BLOCK_BYTES 512

static volatile char sink;

static char *map_anonymous(size_t pages)
{
	char *memory = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (memory == MAP_FAILED)
		abort();
	return memory;
}

static void write_each_page(char *memory, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		memory[i * PAGE] = 1;
}

static void write_fresh_pages(void)
{
	char *memory = map_anonymous(100);

	for (size_t i = 0; i < 100; i++)
		memory[i * PAGE] = 1;
}

static void write_then_unmap(void)
{
	char *memory = map_anonymous(50);

	for (size_t i = 0; i < 50; i++)
		memory[i * PAGE] = 1;
	munmap(memory, 50 * PAGE);
}

static void write_then_dontneed(void)
{
	char *memory = map_anonymous(40);

	for (size_t i = 0; i < 40; i++)
		memory[i * PAGE] = 1;
	madvise(memory, 40 * PAGE, MADV_DONTNEED);
}

/* Pages faulted in before tracing: writing them again adds nothing. */
static void rewrite_resident(char *resident)
{
	for (size_t i = 0; i < 30; i++)
		resident[i * PAGE] = 2;
}

/* A read maps the shared zero page, which is not counted in RSS. */
static void read_zero_pages(char *memory, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		sink = memory[i * PAGE];
}

/* ... and a write then gives each page a page of its own. */
static void write_after_read(char *memory, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		memory[i * PAGE] = 1;
}

static void read_file_pages(int fd)
{
	char *mapped = mmap(NULL, FILE_PAGES * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

	if (mapped == MAP_FAILED)
		abort();
	for (size_t i = 0; i < FILE_PAGES; i++)
		sink = mapped[i * PAGE];
}

/* Two 2 MiB huge pages, one byte written in each. */
static char *touch_huge_region(void)
{
	char *memory = map_anonymous(3 * HUGE / PAGE);
	char *aligned = (char *)(((uintptr_t)memory + HUGE - 1) & ~(HUGE - 1));

	madvise(aligned, 2 * HUGE, MADV_HUGEPAGE);
	aligned[0] = 1;
	aligned[HUGE] = 1;
	return aligned;
}

/* Shared anonymous memory lives in shmem: counted as shared memory, not anonymous. */
static void write_shared_pages(void)
{
	char *memory = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			    -1, 0);

	if (memory == MAP_FAILED)
		abort();
	for (size_t i = 0; i < 8; i++)
		memory[i * PAGE] = 1;
}

static void fill_small_blocks(void)
{
	for (int i = 0; i < SMALL_BLOCKS; i++) {
		char *block = malloc(SMALL_BLOCK_BYTES);

		for (int j = 0; j < SMALL_BLOCK_BYTES; j++)
			block[j] = (char)j;
	}
}

/* How many of the 2 MiB pages at `region` the kernel made huge (AnonHugePages). */
static int huge_pages_granted(const char *region)
{
	char line[256];
	unsigned long start = 0, stop = 0, kb;
	int in_region = 0, granted = 0;
	FILE *smaps = fopen("/proc/self/smaps", "r");

	while (smaps && fgets(line, sizeof(line), smaps)) {
		if (sscanf(line, "%lx-%lx ", &start, &stop) == 2 && strchr(line, '-') < strchr(line, ' '))
			in_region = (uintptr_t)region >= start && (uintptr_t)region < stop;
		else if (in_region && sscanf(line, "AnonHugePages: %lu", &kb) == 1)
			granted += kb / (HUGE / 1024);
	}
	if (smaps)
		fclose(smaps);
	return granted;
}

/* Reads one byte of every page of every executable mapping: code faults happen now. */
static void touch_all_code(void)
{
	char line[512];
	unsigned long start, stop;
	char perms[5];
	FILE *maps = fopen("/proc/self/maps", "r");

	while (maps && fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %4s", &start, &stop, perms) == 3 && perms[2] == 'x' &&
		    perms[0] == 'r')
			for (unsigned long page = start; page < stop; page += PAGE)
				sink = *(volatile char *)page;
	}
	if (maps)
		fclose(maps);
}

static int make_cached_file(void)
{
	char path[] = "/tmp/page_toucher.XXXXXX", page[PAGE];
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	unlink(path);
	memset(page, 'x', sizeof(page));
	for (int i = 0; i < FILE_PAGES; i++) {
		if (write(fd, page, sizeof(page)) != sizeof(page))
			abort();
	}
	return fd;
}

int main(int argc, char **argv)
{
	int wait_first = argc > 1 && !strcmp(argv[1], "--wait");
	char *resident = map_anonymous(30);
	char *zero_then_written = map_anonymous(20);
	char *zero_only = map_anonymous(10);
	int fd = make_cached_file();
	char *huge;

	write_each_page(resident, 30);
	touch_all_code();
	gate_announce_ready();
	if (wait_first)
		gate_wait();

	write_fresh_pages();
	write_then_unmap();
	write_then_dontneed();
	rewrite_resident(resident);
	read_zero_pages(zero_then_written, 20);
	write_after_read(zero_then_written, 20);
	read_zero_pages(zero_only, 10);
	read_file_pages(fd);
	huge = touch_huge_region();
	write_shared_pages();
	fill_small_blocks();

	printf("huge_pages %d\n", huge_pages_granted(huge));
	gate_announce_done();
	gate_wait();
	return 0;
}

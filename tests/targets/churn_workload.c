/*
 * A workload that allocates, frees and touches again, so that page faults
 * far outnumber the pages that stay: large blocks (mmap'd by malloc) made and
 * freed, a heap of small blocks of which some are kept, buffers grown by
 * realloc, memory given back with madvise and touched again.
 *
 *   churn_workload --wait   ready, wait for SIGUSR1, work, done, wait again
 *
 * How many faults the work takes is the kernel's to decide (a huge page
 * takes one fault for 512 pages): before "done" it prints the minor faults
 * it counted itself while working, "minor_faults N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "signal_gate.h"

#define ROUNDS 40
#define LARGE_BYTES (1 << 20)
#define SMALL_BLOCKS 2000

static void *kept[ROUNDS * SMALL_BLOCKS];
static int kept_count;

static long minor_faults(void)
{
	struct rusage usage;

	if (getrusage(RUSAGE_SELF, &usage))
		abort();
	return usage.ru_minflt;
}

static void large_blocks_made_and_freed(void)
{
	char *block = malloc(LARGE_BYTES);

	memset(block, 1, LARGE_BYTES);
	free(block);
}

static void small_blocks_some_kept(int round)
{
	for (int i = 0; i < SMALL_BLOCKS; i++) {
		char *block = malloc(64 + (i % 7) * 32);

		memset(block, 2, 64);
		if ((i + round) % 4 == 0)
			kept[kept_count++] = block;
		else
			free(block);
	}
}

static char *grow_buffer(char *buffer, size_t *size)
{
	*size += 64 * 1024;
	buffer = realloc(buffer, *size);
	memset(buffer, 3, *size);
	return buffer;
}

static void released_and_touched_again(char *region, size_t bytes)
{
	memset(region, 4, bytes);
	madvise(region, bytes / 2, MADV_DONTNEED);
	memset(region, 5, bytes / 4);
}

int main(void)
{
	size_t region_bytes = 8 << 20, buffer_size = 0;
	char *region = mmap(NULL, region_bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *buffer = NULL;
	long faults_before;

	gate_announce_ready();
	gate_wait();
	faults_before = minor_faults();
	for (int round = 0; round < ROUNDS; round++) {
		large_blocks_made_and_freed();
		small_blocks_some_kept(round);
		buffer = grow_buffer(buffer, &buffer_size);
		released_and_touched_again(region, region_bytes);
	}
	printf("minor_faults %ld\n", minor_faults() - faults_before);
	gate_announce_done();
	gate_wait();
	return 0;
}

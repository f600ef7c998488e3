/*
 * A busy multi-threaded target whose output does not depend on how long it
 * ran or on who traced it: each thread repeats the same batch of malloc,
 * calloc, realloc and free (small blocks and mmap-sized ones) over memory it
 * fills and checksums, and checks every batch against its first. Tools attach
 * and detach while it runs; its output must match an untraced run's.
 *
 * Usage: busy_threads [--wait]: works from the start, stops on SIGUSR1,
 * prints each thread's checksum and mismatch count, then "done".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signal_gate.h"

#define THREADS 4
#define BLOCKS_PER_BATCH 2000
#define LIVE_RING 64
#define LARGE_EVERY 250			/* one block in so many is mmap-sized */
#define LARGE_SIZE (256 * 1024)
#define BATCH_PAUSE_NS 2000000

struct worker {
	pthread_t thread;
	unsigned index;
	uint64_t first_checksum;
	unsigned long batches;
	unsigned long mismatches;
};

static atomic_bool stop;

static uint32_t next_random(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

/* FNV-1a over the block's bytes, folded into `hash`. */
static uint64_t checksum_block(uint64_t hash, const unsigned char *block, size_t size)
{
	for (size_t i = 0; i < size; i++)
		hash = (hash ^ block[i]) * 1099511628211ull;
	return hash;
}

static uint64_t run_batch(unsigned index)
{
	unsigned char *ring[LIVE_RING] = {0};
	size_t sizes[LIVE_RING] = {0};
	uint32_t random_state = 7919u * (index + 1);
	uint64_t hash = 14695981039346656037ull;

	for (unsigned i = 0; i < BLOCKS_PER_BATCH; i++) {
		unsigned slot = i % LIVE_RING;
		size_t size = i % LARGE_EVERY == 0 ? LARGE_SIZE : 1 + next_random(&random_state) % 4096;

		if (ring[slot]) {
			hash = checksum_block(hash, ring[slot], sizes[slot]);
			free(ring[slot]);
		}
		switch (i % 3) {
		case 0:
			ring[slot] = malloc(size);
			break;
		case 1:
			ring[slot] = calloc(1, size);
			break;
		default:
			ring[slot] = realloc(malloc(size / 2 + 1), size);
			break;
		}
		if (!ring[slot])
			abort();
		memset(ring[slot], (int)(next_random(&random_state) & 0xff), size);
		sizes[slot] = size;
	}
	for (unsigned slot = 0; slot < LIVE_RING; slot++) {
		hash = checksum_block(hash, ring[slot], sizes[slot]);
		free(ring[slot]);
	}
	return hash;
}

static void *work(void *argument)
{
	struct worker *worker = argument;

	/*
	 * At least one batch, however soon the stop comes. The pause leaves the
	 * tools some CPU to compile and attach on a two-core machine.
	 */
	do {
		nanosleep(&(struct timespec){.tv_nsec = BATCH_PAUSE_NS}, NULL);
		uint64_t checksum = run_batch(worker->index);

		if (!worker->batches++)
			worker->first_checksum = checksum;
		else if (checksum != worker->first_checksum)
			worker->mismatches++;
	} while (!atomic_load(&stop));
	return NULL;
}

int main(void)
{
	struct worker workers[THREADS];

	/* SIGUSR1 blocked before the threads exist, so that they inherit the mask. */
	gate_block();
	for (unsigned i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){.index = i};
		if (pthread_create(&workers[i].thread, NULL, work, &workers[i]))
			abort();
	}
	/* Ready once its threads exist: a test may look for them. */
	gate_announce_ready();
	gate_wait();
	atomic_store(&stop, true);
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(workers[i].thread, NULL);
		printf("thread %u: checksum %016llx, %lu mismatches\n", i,
		       (unsigned long long)workers[i].first_checksum, workers[i].mismatches);
	}
	gate_announce_done();
	return 0;
}

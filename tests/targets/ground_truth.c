/*
 * A process whose allocations are known to the byte, for memstacks' tests.
 * Every site is its own function, so a stack names it; the expected figures
 * live in tests/ground_truth.py.
 *
 *   ground_truth         run every site at once and exit (for -c)
 *   ground_truth --wait  print "ready", wait for SIGUSR1, run every site,
 *                        print "done", wait for SIGUSR1 again, exit (for -p)
 *
 * Compiled -O0 with frame pointers: no call is inlined or optimised away.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signal_gate.h"

#define LEAK_THREADS 4
#define HANDOFF_BLOCKS 8

/* Keeps every leaked block reachable, so no tool could call it garbage. */
static void *kept[256];
static int kept_count;

/* Sizes the compiler cannot see through, so it does not warn about them. */
static volatile size_t huge_size = SIZE_MAX;
static volatile size_t unmappable_size = (size_t)1 << 46;

static void keep(void *block)
{
	kept[kept_count++] = block;
}

static void leak_malloc(void)
{
	for (int i = 0; i < 10; i++)
		keep(malloc(1000));
}

static void leak_calloc(void)
{
	for (int i = 0; i < 4; i++)
		keep(calloc(25, 40));
}

static void *grow_start(void)
{
	return malloc(100);
}

static void grow_realloc(void *block)
{
	keep(realloc(block, 5000));
}

static void leak_realloc_null(void)
{
	keep(realloc(NULL, 3000));
}

static void *zero_start(void)
{
	return malloc(700);
}

static void zero_realloc(void *block)
{
	/* glibc frees the block and returns NULL. */
	if (realloc(block, 0) != NULL)
		abort();
}

static void leak_reallocarray_null(void)
{
	keep(reallocarray(NULL, 30, 100));
}

static void *array_start(void)
{
	return malloc(64);
}

static void array_grow(void *block)
{
	keep(reallocarray(block, 2, 1000));
}

static void leak_posix_memalign(void)
{
	void *block;

	for (int i = 0; i < 3; i++) {
		if (posix_memalign(&block, 64, 1234))
			abort();
		keep(block);
	}
}

/* Alignment 16 makes glibc's posix_memalign call malloc inside. */
static void leak_posix_memalign_small(void)
{
	void *block;

	for (int i = 0; i < 2; i++) {
		if (posix_memalign(&block, 16, 500))
			abort();
		keep(block);
	}
}

static void leak_aligned_alloc(void)
{
	for (int i = 0; i < 2; i++)
		keep(aligned_alloc(256, 2048));
}

/* Alignment 16 makes glibc's memalign end in a tail call to malloc. */
static void leak_memalign(void)
{
	keep(memalign(16, 1000));
}

static void leak_valloc(void)
{
	keep(valloc(5000));
}

static void leak_pvalloc(void)
{
	keep(pvalloc(100));
}

/*
 * Requests no allocator can satisfy (SIZE_MAX, an overflowing count * size)
 * return NULL: they count nothing, and -a reports them apart. A 64 TiB request,
 * inside the address space, fails on glibc and succeeds on allocators that
 * reserve address space lazily (jemalloc): it is freed at once, so it is never
 * unfreed, and -a counts it either way.
 */
static void fail_site(void)
{
	if (malloc(huge_size) || calloc(huge_size / 2, 4) || reallocarray(NULL, huge_size / 2, 4))
		abort();
	free(malloc(unmappable_size));
}

/* Where a request that must fail leaves its result, so that the call stays. */
static void *volatile failed_result;

/*
 * Requests beyond the user address space of any x86-64 (2^56 bytes with
 * 5-level paging), which every allocator fails. The largest comes between two
 * smaller ones: the largest -a reports is neither the first nor the last seen.
 */
static void fail_beyond_address_space(void)
{
	static const size_t sizes[] = {(size_t)1 << 60, (size_t)1 << 62, (size_t)1 << 58};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		failed_result = malloc(sizes[i]);
		if (failed_result)
			abort();
	}
}

static void free_null_and_old(void *old_block)
{
	free(NULL);
	free(old_block);
}

static void churn(void)
{
	for (int i = 0; i < 10000; i++)
		free(malloc(64));
}

static void thread_leak(void)
{
	for (int i = 0; i < 5; i++)
		keep(malloc(2000));
}

static pthread_mutex_t keep_lock = PTHREAD_MUTEX_INITIALIZER;

static void *leaking_thread(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&keep_lock);
	thread_leak();
	pthread_mutex_unlock(&keep_lock);
	return NULL;
}

static void *handoff[HANDOFF_BLOCKS];

static void producer_alloc(void)
{
	for (int i = 0; i < HANDOFF_BLOCKS; i++)
		handoff[i] = malloc(300);
}

static void *producer_thread(void *unused)
{
	(void)unused;
	producer_alloc();
	return NULL;
}

/* Frees, in another thread, what the producer allocated: nothing stays unfreed. */
static void *consumer_thread(void *unused)
{
	(void)unused;
	for (int i = 0; i < HANDOFF_BLOCKS; i++)
		free(handoff[i]);
	return NULL;
}

static void run_threads(void)
{
	pthread_t threads[LEAK_THREADS], producer, consumer;

	for (int i = 0; i < LEAK_THREADS; i++)
		pthread_create(&threads[i], NULL, leaking_thread, NULL);
	for (int i = 0; i < LEAK_THREADS; i++)
		pthread_join(threads[i], NULL);
	pthread_create(&producer, NULL, producer_thread, NULL);
	pthread_join(producer, NULL);
	pthread_create(&consumer, NULL, consumer_thread, NULL);
	pthread_join(consumer, NULL);
}

static void run_sites(void *old_block)
{
	leak_malloc();
	leak_calloc();
	grow_realloc(grow_start());
	leak_realloc_null();
	zero_realloc(zero_start());
	leak_reallocarray_null();
	array_grow(array_start());
	leak_posix_memalign();
	leak_posix_memalign_small();
	leak_aligned_alloc();
	leak_memalign();
	leak_valloc();
	leak_pvalloc();
	fail_site();
	fail_beyond_address_space();
	free_null_and_old(old_block);
	churn();
	run_threads();
}

int main(int argc, char **argv)
{
	int wait = argc > 1 && !strcmp(argv[1], "--wait");
	/* Allocated before tracing starts and freed during it: changes nothing. */
	void *old_block = malloc(4321);

	/* stdio allocates its buffer on first use: the ready line does that before tracing. */
	gate_announce_ready();
	if (wait)
		gate_wait();
	run_sites(old_block);
	gate_announce_done();
	if (wait)
		gate_wait();
	return 0;
}

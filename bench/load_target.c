/*
 * Loads for memstacks, each leaving a known number of bytes unfreed:
 *
 *   load_target threads N    N threads allocate at once: each keeps 1,000
 *                            blocks of 32 bytes and frees 100,000 others
 *   load_target live N       one thread keeps N blocks of 16 bytes
 *   load_target stacks N     N blocks of 16 bytes, each from a distinct stack
 *   load_target steady S     for S seconds: 1,000 malloc+free pairs and one
 *                            kept block of 64 bytes per millisecond
 *
 * It prints "ready PID", waits for SIGUSR1, does the work, prints "done
 * BYTES BLOCKS" (what it keeps), and exits on the next SIGUSR1.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/targets/signal_gate.h"

#define KEPT_PER_THREAD 1000
#define FREED_PER_THREAD 100000
#define PATH_BITS 17			/* 2^17 > 100,000 distinct stacks */

static unsigned long long kept_bytes, kept_blocks;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static void keep(size_t size)
{
	/* Kept on purpose: the load is what stays live. */
	if (!malloc(size))
		abort();
	pthread_mutex_lock(&kept_lock);
	kept_bytes += size;
	kept_blocks++;
	pthread_mutex_unlock(&kept_lock);
}

static void *allocate_in_thread(void *unused)
{
	(void)unused;
	for (int i = 0; i < FREED_PER_THREAD; i++) {
		free(malloc(48));
		if (i % (FREED_PER_THREAD / KEPT_PER_THREAD) == 0)
			keep(32);
	}
	return NULL;
}

static void threads(long count)
{
	pthread_t *ids = calloc((size_t)count, sizeof(*ids));

	for (long i = 0; i < count; i++)
		pthread_create(&ids[i], NULL, allocate_in_thread, NULL);
	for (long i = 0; i < count; i++)
		pthread_join(ids[i], NULL);
	free(ids);
}

static void live(long count)
{
	for (long i = 0; i < count; i++)
		keep(16);
}

/*
 * A call path spelled by the bits of `path`: each level calls on through one
 * of two call sites, so every path leaves distinct return addresses.
 */
static void descend(unsigned long path, int level);

static __attribute__((noinline)) void through_zero(unsigned long path, int level)
{
	descend(path, level + 1);
	__asm__ volatile("" ::: "memory");	/* not a tail call: the frame stays */
}

static __attribute__((noinline)) void through_one(unsigned long path, int level)
{
	descend(path, level + 1);
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void descend(unsigned long path, int level)
{
	if (level == PATH_BITS)
		keep(16);
	else if (path >> level & 1)
		through_one(path, level);
	else
		through_zero(path, level);
	__asm__ volatile("" ::: "memory");
}

static void stacks(long count)
{
	for (long path = 0; path < count; path++)
		descend((unsigned long)path, 0);
}

static void steady(long seconds)
{
	struct timespec millisecond = {.tv_sec = 0, .tv_nsec = 1000000};

	for (long ms = 0; ms < seconds * 1000; ms++) {
		for (int i = 0; i < 1000; i++)
			free(malloc(64 + i % 512));
		keep(64);
		nanosleep(&millisecond, NULL);
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(long);
	} loads[] = {{"threads", threads}, {"live", live}, {"stacks", stacks}, {"steady", steady}};
	long count = argc == 3 ? atol(argv[2]) : 0;

	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		if (argc != 3 || strcmp(argv[1], loads[i].name) || count <= 0)
			continue;
		gate_announce_ready();
		gate_wait();
		loads[i].run(count);
		printf("done %llu %llu\n", kept_bytes, kept_blocks);
		fflush(stdout);
		gate_wait();
		return 0;
	}
	fprintf(stderr, "usage: load_target threads|live|stacks|steady COUNT\n");
	return 2;
}

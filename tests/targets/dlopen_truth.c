/*
 * A process that loads an allocator with dlopen after tracing started and
 * allocates through it, known to the byte; the expected figures live in
 * tests/test_jemalloc.py.
 *
 *   dlopen_truth LIBRARY         load LIBRARY (an allocator: mimalloc), allocate
 *                                through its malloc and free, exit (for -c)
 *   dlopen_truth --wait LIBRARY  print "ready", wait for SIGUSR1, load it,
 *                                print "loaded", wait for SIGUSR1 (the tool
 *                                attaches meanwhile), allocate, print "done",
 *                                wait for SIGUSR1, exit (for -p)
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal_gate.h"

typedef void *(*malloc_function)(size_t size);
typedef void (*free_function)(void *block);

static void *kept[16];

static void leak_dlopened(malloc_function allocate)
{
	for (int i = 0; i < 4; i++)
		kept[i] = allocate(1500);
}

static void churn_dlopened(malloc_function allocate, free_function release)
{
	for (int i = 0; i < 3; i++)
		release(allocate(100));
}

int main(int argc, char **argv)
{
	int wait = argc > 2 && !strcmp(argv[1], "--wait");
	const char *library = argv[argc - 1];
	void *handle;

	gate_announce_ready();
	if (wait)
		gate_wait();
	/* Local: its malloc serves only the calls made through dlsym. */
	handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "dlopen_truth: %s\n", dlerror());
		return 3;
	}
	printf("loaded\n");
	fflush(stdout);
	if (wait)
		gate_wait();
	leak_dlopened((malloc_function)dlsym(handle, "malloc"));
	churn_dlopened((malloc_function)dlsym(handle, "malloc"), (free_function)dlsym(handle, "free"));
	gate_announce_done();
	if (wait)
		gate_wait();
	return 0;
}

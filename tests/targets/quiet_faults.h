/*
 * For targets whose page faults are counted: every page of code, static data
 * and stack they will use is touched before tracing, so that the only faults
 * the trace sees are those of their sites.
 */
#ifndef QUIET_FAULTS_H
#define QUIET_FAULTS_H

#include <stdint.h>
#include <stdio.h>

#define QUIET_PAGE 4096UL
/* Deeper than the sites, the counting and printf go. */
#define QUIET_STACK_TOUCHED (64 * 1024)

/* Symbols the linker defines around the program's zero-initialised data. */
extern char __bss_start[], _end[];

static volatile char quiet_sink;

/* Reads one byte of every page of every executable mapping: code faults happen now. */
static inline void touch_all_code(void)
{
	char line[512];
	unsigned long start, stop;
	char perms[5];
	FILE *maps = fopen("/proc/self/maps", "r");

	while (maps && fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %4s", &start, &stop, perms) == 3 && perms[2] == 'x' &&
		    perms[0] == 'r')
			for (unsigned long page = start; page < stop; page += QUIET_PAGE)
				quiet_sink = *(volatile char *)page;
	}
	if (maps)
		fclose(maps);
}

/* Writes every page of the zero-initialised data (tables, buffers). */
static inline void touch_static_data(void)
{
	for (uintptr_t page = (uintptr_t)__bss_start & ~(QUIET_PAGE - 1); page < (uintptr_t)_end;
	     page += QUIET_PAGE)
		*(volatile char *)page = *(volatile char *)page;
}

static inline void touch_stack(void)
{
	volatile char depth[QUIET_STACK_TOUCHED];

	for (size_t i = 0; i < sizeof(depth); i += QUIET_PAGE)
		depth[i] = 0;
}

#endif

/*
 * Where a run's start-up went, from exec to "Tracing", phase by phase: -v
 * prints it so the slow phase can be seen, and bench/run_start_bench.py
 * reads that line over several runs.
 *
 *   start_phases__begin(&phases);                  at main: exec to now
 *   ... open the target ...
 *   start_phases__end(&phases, START_TARGET);      the time since the last end
 *   start_phases__take(&phases, START_LOAD, ns);   part of the running phase
 */
#ifndef START_PHASES_H
#define START_PHASES_H

#include <stdint.h>
#include <stdio.h>

enum start_phase {
	START_LIBRARIES,	/* exec to main: the loader maps libbcc and LLVM */
	START_TARGET,		/* the set checked, the target opened or started */
	START_UNWIND_TABLES,	/* .eh_frame read into rows, rows into the maps */
	START_COMPILE,		/* libbcc: C to BPF with clang, the maps created */
	START_LOAD,		/* the kernel's verifier, program by program */
	START_CALIBRATION,	/* uprobe hits timed on this kernel */
	START_ATTACH,		/* probes attached, the follower started, -c held */
	START_PHASES
};

struct start_phases {
	uint64_t ns[START_PHASES];
	uint64_t mark_ns;	/* the end of the last phase */
	uint64_t taken_ns;	/* of the running phase, already given to another */
};

/* Starts the count, with the time from this process's exec to now. */
void start_phases__begin(struct start_phases *phases);

/* Ends `phase`: the time since the last phase ended, less what was taken. */
void start_phases__end(struct start_phases *phases, enum start_phase phase);

/* Gives `ns` of the running phase to `phase` (a load inside the attach). */
void start_phases__take(struct start_phases *phases, enum start_phase phase, uint64_t ns);

/* "start-up 1.23 s: libraries 0.05, target 0.00, ..." and a newline. */
void start_phases__print(const struct start_phases *phases, FILE *out);

#endif

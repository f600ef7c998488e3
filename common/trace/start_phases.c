#include "trace/start_phases.h"

#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/errors.h"
#include "process/proc_fields.h"

static const char *const phase_names[START_PHASES] = {
	[START_LIBRARIES] = "libraries",   [START_TARGET] = "target",
	[START_UNWIND_TABLES] = "unwind tables", [START_COMPILE] = "compile",
	[START_LOAD] = "load and verify", [START_CALIBRATION] = "calibration",
	[START_ATTACH] = "attach",
};

/*
 * How long ago this process was exec'd, by the kernel's start time (in clock
 * ticks since boot): 0 if it cannot be read. Ticks are 10 ms: as fine as it
 * gets without a clock read before main.
 */
static uint64_t since_exec_ns(void)
{
	unsigned long long start_ticks;
	long ticks_per_s = sysconf(_SC_CLK_TCK);
	struct timespec boot;
	uint64_t start_ns, now_ns;
	char line[1024];

	if (ticks_per_s <= 0 || proc_stat__read(getpid(), line, sizeof(line)) < 0 ||
	    !proc_stat__field(line, PROC_STAT_STARTTIME, &start_ticks) ||
	    clock_gettime(CLOCK_BOOTTIME, &boot))
		return 0;
	start_ns = start_ticks * (1000000000ULL / ticks_per_s);
	now_ns = (uint64_t)boot.tv_sec * 1000000000ULL + boot.tv_nsec;
	return now_ns > start_ns ? now_ns - start_ns : 0;
}

void start_phases__begin(struct start_phases *phases)
{
	*phases = (struct start_phases){0};
	phases->ns[START_LIBRARIES] = since_exec_ns();
	phases->mark_ns = clock_now_ns();
}

void start_phases__end(struct start_phases *phases, enum start_phase phase)
{
	uint64_t now_ns = clock_now_ns();
	uint64_t spent_ns = now_ns - phases->mark_ns;

	phases->ns[phase] += spent_ns > phases->taken_ns ? spent_ns - phases->taken_ns : 0;
	phases->mark_ns = now_ns;
	phases->taken_ns = 0;
}

void start_phases__take(struct start_phases *phases, enum start_phase phase, uint64_t ns)
{
	phases->ns[phase] += ns;
	phases->taken_ns += ns;
}

void start_phases__print(const struct start_phases *phases, FILE *out)
{
	uint64_t total_ns = 0;
	int phase;

	for (phase = 0; phase < START_PHASES; phase++)
		total_ns += phases->ns[phase];
	fprintf(out, "%s: start-up %.2f s:", program_name, total_ns / 1e9);
	for (phase = 0; phase < START_PHASES; phase++)
		fprintf(out, " %s %.2f%s", phase_names[phase], phases->ns[phase] / 1e9,
			phase + 1 < START_PHASES ? "," : "\n");
}

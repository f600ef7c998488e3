#include "bpf/uprobe_calibration.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "process/proc_maps.h"
#include "bpf/uprobes.h"

/*
 * One function per kind, each starting with an instruction of that kind and
 * returning without touching anything callee-saved; the probe goes on its
 * first byte. The mov is the single-stepped reference.
 */
__asm__(".text\n"
	".p2align 4\n"
	"calibrate_push: push %rbx\n pop %rbx\n ret\n"
	".p2align 4\n"
	"calibrate_push_rex: push %r12\n pop %r12\n ret\n"
	".p2align 4\n"
	"calibrate_jcc_short: .byte 0x75, 0x00\n ret\n"
	".p2align 4\n"
	"calibrate_jcc_near: .byte 0x0f, 0x85, 0, 0, 0, 0\n ret\n"
	".p2align 4\n"
	"calibrate_jmp_short: .byte 0xeb, 0x00\n ret\n"
	".p2align 4\n"
	"calibrate_jmp_near: .byte 0xe9, 0, 0, 0, 0\n ret\n"
	".p2align 4\n"
	"calibrate_call: call calibrate_return\n ret\n"
	".p2align 4\n"
	"calibrate_return: ret\n"
	".p2align 4\n"
	"calibrate_nop: nop\n ret\n"
	".p2align 4\n"
	"calibrate_nop5: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n ret\n"
	".p2align 4\n"
	"calibrate_nop_multi: .byte 0x0f, 0x1f, 0x00\n ret\n"
	".p2align 4\n"
	"calibrate_endbr64: .byte 0xf3, 0x0f, 0x1e, 0xfa\n ret\n"
	".p2align 4\n"
	"calibrate_other: mov %rdi, %rax\n ret\n"
	".p2align 4\n"
	"calibrate_returning: push %rbx\n pop %rbx\n ret\n");

void calibrate_push(void), calibrate_push_rex(void), calibrate_jcc_short(void),
	calibrate_jcc_near(void), calibrate_jmp_short(void), calibrate_jmp_near(void),
	calibrate_call(void), calibrate_nop(void), calibrate_nop5(void),
	calibrate_nop_multi(void), calibrate_endbr64(void), calibrate_other(void),
	calibrate_returning(void);

static void (*const calibration_functions[INSTRUCTION_KINDS])(void) = {
	[KIND_PUSH] = calibrate_push,
	[KIND_PUSH_REX] = calibrate_push_rex,
	[KIND_JCC_SHORT] = calibrate_jcc_short,
	[KIND_JCC_NEAR] = calibrate_jcc_near,
	[KIND_JMP_SHORT] = calibrate_jmp_short,
	[KIND_JMP_NEAR] = calibrate_jmp_near,
	[KIND_CALL] = calibrate_call,
	[KIND_NOP] = calibrate_nop,
	[KIND_NOP5] = calibrate_nop5,
	[KIND_NOP_MULTI] = calibrate_nop_multi,
	[KIND_ENDBR64] = calibrate_endbr64,
	[KIND_OTHER] = calibrate_other,
};

/* Hits per batch, and batches: the fastest batch counts, the machine is shared. */
#define CALLS_PER_BATCH 64
#define BATCHES 3

struct code_location {
	uint64_t address;
	char path[PATH_MAX];
	uint64_t file_offset;
	int found;
};

static int locate(const struct map_entry *entry, void *context)
{
	struct code_location *location = context;

	if (location->address < entry->start || location->address >= entry->end ||
	    entry->path[0] != '/')
		return 0;
	snprintf(location->path, sizeof(location->path), "%s", entry->path);
	location->file_offset = entry->file_offset + location->address - entry->start;
	location->found = 1;
	return 1;
}

static double ns_per_call(void (*function)(void))
{
	double best = 0;
	int batch, call;

	for (batch = 0; batch < BATCHES; batch++) {
		uint64_t start = clock_now_ns();
		double ns;

		for (call = 0; call < CALLS_PER_BATCH; call++)
			function();
		ns = (double)(clock_now_ns() - start) / CALLS_PER_BATCH;
		if (batch == 0 || ns < best)
			best = ns;
	}
	return best;
}

/* Puts a probe on the first instruction of `function`, or on its return. 0 or -errno. */
static int probe_function(struct uprobe_set *probes, int prog_fd, void (*function)(void),
			  bool at_return)
{
	struct code_location location = {.address = (uint64_t)(uintptr_t)function};
	int err = proc_maps__foreach(getpid(), locate, &location);

	if (err < 0 || !location.found)
		return err < 0 ? err : -ENOENT;
	return uprobe_set__attach(probes, prog_fd,
				  &(struct uprobe_site){.path = location.path,
							.offset = location.file_offset,
							.pid = getpid(), .at_return = at_return,
							.function = "a calibration function"});
}

int uprobe_calibration__measure(int prog_fd, struct emulation *emulation)
{
	struct uprobe_set *probes = uprobe_set__new();
	double single_step;
	int kind, err = probes ? 0 : -ENOMEM;

	memset(emulation, 0, sizeof(*emulation));
	/* All probed at once: detaching waits in the kernel, and they are detached together. */
	for (kind = 0; !err && kind < INSTRUCTION_KINDS; kind++)
		err = probe_function(probes, prog_fd, calibration_functions[kind], false);
	/* A return probe: its entry costs what a push costs, its return the rest. */
	err = err ?: probe_function(probes, prog_fd, calibrate_returning, false) ?:
		     probe_function(probes, prog_fd, calibrate_returning, true);
	for (kind = 0; !err && kind < INSTRUCTION_KINDS; kind++)
		emulation->ns_per_hit[kind] = ns_per_call(calibration_functions[kind]);
	if (!err)
		emulation->ns_per_return = ns_per_call(calibrate_returning) -
					   emulation->ns_per_hit[KIND_PUSH];
	uprobe_set__free(probes);
	if (err)
		return err;
	/*
	 * An emulated hit costs a fraction of a single-stepped one, but how large
	 * a fraction differs between machines: 0.5 against 4 to 10 us on some,
	 * 5 against 18 us on others (pti=on), where a noisy emulated hit came
	 * within a third of a single step. Half the single step's cost parts the
	 * two on both.
	 */
	single_step = emulation->ns_per_hit[KIND_OTHER];
	for (kind = 0; kind < KIND_OTHER; kind++)
		emulation->emulated[kind] = emulation->ns_per_hit[kind] * 2 < single_step;
	return 0;
}

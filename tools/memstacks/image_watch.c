#include "image_watch.h"

#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "base/errors.h"
#include "trace/uprobe_calibration.h"

/* What the BPF program keeps of the running image, dropped when exec replaces it. */
static const char *const image_maps[2][2] = {
	{"live_blocks", "calls_in_flight"},		/* unfreed mode */
	{"stack_totals", "last_allocator_calls"},	/* -a */
};

/*
 * The follower's work after an event, once it has read the new symbols and
 * unwind tables: after an exec, drop what the old
 * program allocated (its blocks, stacks and allocators are gone with it);
 * then attach to the allocators not seen before.
 */
static int follow_mappings(void *context, bool exec)
{
	struct image_watch *watch = context;
	pid_t pid = watch->follower.target->pid;
	int err, i;

	if (exec) {
		allocator_sites__forget_mappings(&watch->sites);
		for (i = 0; i < 2; i++)
			bcc_module__clear_map(watch->follower.program,
					       image_maps[watch->all_mode][i]);
	}
	err = allocator_sites__scan(&watch->sites, pid, watch->object);
	if (err == -ENOENT || err == -ESRCH)
		return 0;	/* it exited: the wait sees that */
	if (err < 0) {
		print_error("cannot read the memory maps of PID %d: %s", (int)pid, strerror(-err));
		return err;
	}
	return allocator_sites__attach_new(&watch->sites, watch->follower.program,
					   watch->follower.probes, pid, watch->all_mode,
					   watch->probe_at_entry ? NULL : &watch->emulation,
					   watch->verbose);
}

/* -p: what the process maps now, and a clear error if no allocator is among it. */
static int attach_to_process(struct image_watch *watch)
{
	pid_t pid = watch->follower.target->pid;

	if (watch->sites.count)
		return 0;
	if (watch->object)
		print_error("no allocator functions in an object matching '%s' mapped by PID %d (check -O against /proc/PID/maps)",
			    watch->object, (int)pid);
	else
		print_error("no allocator functions (malloc, free, ...) in any object mapped by PID %d (is it statically linked without symbols?)",
			    (int)pid);
	return -ENOENT;
}

/*
 * -c: the command's allocator is only known once it is mapped. The command
 * stops at its exec and at each of the loader's events, before any code of
 * what was mapped runs; it is continued until an allocator is found.
 */
static int attach_when_mapped(struct image_watch *watch)
{
	struct target *target = watch->follower.target;
	int err = target__release(target);

	while (!err) {
		err = image_follower__follow_stop(&watch->follower);
		if (err == -ESRCH)
			print_error("command %s ended before it mapped an allocator (nothing to trace)",
				    target->exe_path);
		if (err || watch->sites.count)
			return err;	/* the caller continues it once tracing has started */
		target__continue(target);
	}
	return err;
}

/*
 * Which instructions this kernel's uprobes emulate, timed on probes that run
 * the loader-event program in this process (it returns at once here).
 */
static int calibrate(struct image_watch *watch)
{
	int prog_fd = bcc_module__load(watch->follower.program, "loader_event",
					BPF_PROG_TYPE_KPROBE);
	struct emulation *emulation = &watch->emulation;
	int kind, err;

	if (prog_fd < 0)
		return prog_fd;
	err = uprobe_calibration__measure(prog_fd, emulation);
	if (err) {
		print_warning("cannot time uprobes on this kernel (%s): probes stay at function entries",
			      strerror(-err));
		return 0;
	}
	if (!watch->verbose)
		return 0;
	fprintf(stderr, "%s: uprobe hits on this kernel, ns:", program_name);
	for (kind = 0; kind < INSTRUCTION_KINDS; kind++)
		fprintf(stderr, " %s %.0f%s%s", instruction_kind_name(kind), emulation->ns_per_hit[kind],
			emulation->emulated[kind] ? " (emulated)" : "",
			kind + 1 < INSTRUCTION_KINDS ? "," : "\n");
	return 0;
}

int image_watch__start(struct image_watch *watch)
{
	int err;

	watch->follower.follow = follow_mappings;
	watch->follower.context = watch;
	err = !watch->probe_at_entry ? calibrate(watch) : 0;
	err = err ?: image_follower__start(&watch->follower);
	if (err)
		return err;
	return watch->follower.target->spawned ? attach_when_mapped(watch)
					       : attach_to_process(watch);
}

void image_watch__free(struct image_watch *watch)
{
	allocator_sites__free(&watch->sites);
}

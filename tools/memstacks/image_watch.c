#include "image_watch.h"

#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "base/errors.h"
#include "bpf/uprobe_calibration.h"

/* What the BPF program keeps of the running image, dropped when exec replaces it. */
static const char *const image_maps[2][2] = {
	{"live_blocks", "calls_in_flight"},		/* unfreed mode */
	{"stack_totals", "last_allocator_calls"},	/* -a */
};

int image_watch__follow(struct image_watch *watch, bool exec)
{
	pid_t pid = watch->follower->target->pid;
	int err, i;

	if (exec) {
		allocator_sites__forget_mappings(&watch->sites);
		for (i = 0; i < 2; i++)
			bcc_module__clear_map(watch->follower->program,
					       image_maps[watch->all_mode][i]);
	}
	err = allocator_sites__scan(&watch->sites, pid, watch->object);
	if (err == -ENOENT || err == -ESRCH)
		return 0;	/* it exited: the wait sees that */
	if (err < 0) {
		print_error("cannot read the memory maps of PID %d: %s", (int)pid, strerror(-err));
		return err;
	}
	return allocator_sites__attach_new(&watch->sites, watch->follower->program,
					   watch->follower->probes, pid, watch->all_mode,
					   watch->probe_at_entry ? NULL : &watch->emulation,
					   watch->verbose);
}

int image_watch__check_ready(const struct image_watch *watch, bool command_ended)
{
	const struct target *target = watch->follower->target;

	if (watch->sites.count)
		return 0;
	if (command_ended) {
		char how[64];

		target__describe_end(target, how, sizeof(how));
		print_error("command %s ended before it mapped an allocator (%s; nothing to trace)",
			    target->exe_path, how);
	} else if (target->spawned)
		return -EAGAIN;
	else if (watch->object)
		print_error("no allocator functions in an object matching '%s' mapped by PID %d (check -O against /proc/PID/maps)",
			    watch->object, (int)target->pid);
	else
		print_error("no allocator functions (malloc, free, ...) in any object mapped by PID %d (is it statically linked without symbols?)",
			    (int)target->pid);
	return -ENOENT;
}

/* Timed on probes that run the loader-event program in this process (it returns at once here). */
int image_watch__calibrate(struct image_watch *watch)
{
	struct emulation *emulation = &watch->emulation;
	int prog_fd, kind, err;

	if (watch->probe_at_entry)
		return 0;
	prog_fd = bcc_module__load(watch->follower->program, "loader_event", BPF_PROG_TYPE_KPROBE);
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

void image_watch__free(struct image_watch *watch)
{
	allocator_sites__free(&watch->sites);
}

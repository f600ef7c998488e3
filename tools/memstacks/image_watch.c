#include "image_watch.h"

#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errors.h"
#include "base/growable_array.h"
#include "bpf/uprobe_calibration.h"

/* What the BPF program keeps of the running image, dropped when exec replaces it. */
static const char *const image_maps[2][2] = {
	{"live_blocks", "calls_in_flight"},		/* unfreed mode */
	{"stack_totals", "last_allocator_calls"},	/* -a */
};

/*
 * Scans `pid` into `sites` and attaches what is new, for `probe_pid` (-1:
 * every process). A set's member whose maps cannot be read is left out and
 * counted, not an error: a host holds processes a root in a container
 * cannot look into.
 */
static int attach_process(struct image_watch *watch, struct allocator_sites *sites, pid_t pid,
			  pid_t probe_pid)
{
	int err = allocator_sites__scan(sites, pid, watch->object);

	if (err == -ENOENT || err == -ESRCH)
		return 0;	/* it exited: the wait sees that */
	if (err < 0 && err != -ENOMEM && !traced_set__is_one_process(watch->set)) {
		if (!watch->unreadable++)
			watch->first_unreadable = (struct unreadable){pid, -err};
		return 0;
	}
	if (err < 0) {
		print_error("cannot read the memory maps of PID %d: %s", (int)pid, strerror(-err));
		return err;
	}
	return allocator_sites__attach_new(sites, watch->follower->program, watch->follower->probes,
					   probe_pid, watch->all_mode,
					   watch->probe_at_entry ? NULL : &watch->emulation,
					   watch->verbose);
}

static struct process_sites *process_sites_of(struct image_watch *watch, pid_t pid)
{
	struct process_sites *process;
	size_t i;

	for (i = 0; i < watch->process_count; i++) {
		if (watch->processes[i].pid == pid)
			return &watch->processes[i];
	}
	if (growable_array__reserve(&watch->processes, &watch->process_capacity,
				    watch->process_count, sizeof(*process)))
		return NULL;
	process = &watch->processes[watch->process_count++];
	*process = (struct process_sites){.pid = pid};
	return process;
}

/* A member of a set: its own probes (-p's list), or the set's, once per object. */
static int attach_member(pid_t pid, void *context)
{
	struct image_watch *watch = context;
	struct process_sites *process;

	if (!traced_set__probes_each_process(watch->set))
		return attach_process(watch, &watch->sites, pid, -1);
	process = process_sites_of(watch, pid);
	return process ? attach_process(watch, &process->sites, pid, pid) : -ENOMEM;
}

int image_watch__follow(struct image_watch *watch, bool exec)
{
	size_t i;

	if (exec) {
		allocator_sites__forget_mappings(&watch->sites);
		for (i = 0; i < watch->process_count; i++)
			allocator_sites__forget_mappings(&watch->processes[i].sites);
	}
	if (!traced_set__is_one_process(watch->set)) {
		bool warned = watch->unreadable;
		int err;

		watch->sites.shared_by_processes = !traced_set__probes_each_process(watch->set);
		err = traced_set__foreach_candidate(watch->set, watch->follower->program,
						    attach_member, watch);
		/* Said once: every exec on the host rescans the set. */
		if (!err && watch->unreadable && !warned)
			print_warning("cannot read the memory maps of %zu process%s (PID %d: %s): their allocators are traced only where they map an object another process maps",
				      watch->unreadable, watch->unreadable == 1 ? "" : "es",
				      (int)watch->first_unreadable.pid,
				      strerror(watch->first_unreadable.error));
		return err;
	}
	if (exec) {
		for (i = 0; i < 2; i++)
			bcc_module__clear_map(watch->follower->program,
					       image_maps[watch->all_mode][i]);
	}
	return attach_process(watch, &watch->sites, watch->follower->target->pid,
			      watch->follower->target->pid);
}

void image_watch__start_naming(struct image_watch *watch)
{
	watch->naming_round++;
}

const struct allocator_sites *image_watch__sites_of(struct image_watch *watch, pid_t pid)
{
	struct process_sites *process;

	if (traced_set__is_one_process(watch->set))
		return &watch->sites;
	process = process_sites_of(watch, pid);
	if (!process || process->naming_round == watch->naming_round)
		return process ? &process->sites : NULL;
	process->naming_round = watch->naming_round;
	/* Mappings scanned before may have gone: read what it maps now. */
	allocator_sites__forget_mappings(&process->sites);
	allocator_sites__scan(&process->sites, pid, watch->object);
	if (!traced_set__probes_each_process(watch->set))
		allocator_sites__copy_placements(&process->sites, &watch->sites);
	return &process->sites;
}

static bool any_site(const struct image_watch *watch)
{
	size_t i;

	for (i = 0; i < watch->process_count; i++) {
		if (watch->processes[i].sites.count)
			return true;
	}
	return watch->sites.count != 0;
}

int image_watch__check_ready(const struct image_watch *watch, bool command_ended)
{
	const struct target *target = watch->follower->target;

	if (any_site(watch))
		return 0;
	if (!target->pid) {
		print_error("no allocator functions (malloc, free, ...) in any object the traced processes map (check them with -v, and -O against /proc/PID/maps)");
		return -ENOENT;
	}
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

/*
 * Timed on probes that run the loader-event program in this process (it
 * returns at once here). With --probe-at-entry too: the summary's estimate of
 * what the probes cost needs each hit's cost.
 */
int image_watch__calibrate(struct image_watch *watch)
{
	struct emulation *emulation = &watch->emulation;
	int prog_fd, kind, err;

	prog_fd = bcc_module__load(watch->follower->program, "loader_event", BPF_PROG_TYPE_KPROBE);
	if (prog_fd < 0)
		return prog_fd;
	err = uprobe_calibration__measure(prog_fd, emulation);
	if (err) {
		print_warning("cannot time uprobes on this kernel (%s): probes stay at function entries",
			      strerror(-err));
		return 0;
	}
	watch->calibrated = true;
	if (!watch->verbose)
		return 0;
	fprintf(stderr, "%s: uprobe hits on this kernel, ns:", program_name);
	for (kind = 0; kind < INSTRUCTION_KINDS; kind++)
		fprintf(stderr, " %s %.0f%s%s", instruction_kind_name(kind), emulation->ns_per_hit[kind],
			emulation->emulated[kind] ? " (emulated)" : "",
			kind + 1 < INSTRUCTION_KINDS ? "," : "");
	fprintf(stderr, "; a return probe adds %.0f\n", emulation->ns_per_return);
	return 0;
}

void image_watch__free(struct image_watch *watch)
{
	size_t i;

	allocator_sites__free(&watch->sites);
	for (i = 0; i < watch->process_count; i++)
		allocator_sites__free(&watch->processes[i].sites);
	free(watch->processes);
}

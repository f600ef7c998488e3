#include "image_watch.h"

#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <bcc/libbpf.h>

#include "elf_functions.h"
#include "errors.h"
#include "uprobe_calibration.h"
#include "untrusted_text.h"

/* What the BPF program keeps of the running image, dropped when exec replaces it. */
static const char *const image_maps[2][2] = {
	{"live_blocks", "calls_in_flight"},		/* unfreed mode */
	{"stack_totals", "last_allocator_calls"},	/* -a */
};

/*
 * Probes the dynamic loader of the program the target runs now (it changes at
 * exec), unless that loader is probed already. A static program has none.
 */
static int watch_loader(struct image_watch *watch)
{
	const char *loader_functions[] = {"_dl_debug_state"};
	char exe[64], interpreter[PATH_MAX], loader[sizeof(watch->loader)];
	char printable[512];
	pid_t pid = watch->target->pid;
	struct elf_function loader_event;
	int prog_fd, err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	if (elf_interpreter(exe, interpreter, sizeof(interpreter)))
		return 0;
	snprintf(loader, sizeof(loader), "/proc/%d/root%s", (int)pid, interpreter);
	if (!strcmp(loader, watch->loader))
		return 0;
	if (elf_find_functions(loader, loader_functions, 1, &loader_event) != 1) {
		/* Any bytes can name the loader in the target's program header. */
		print_warning("no _dl_debug_state in the dynamic loader %s: libraries the target loads from now on are not traced",
			      untrusted_text__escape(interpreter, printable, sizeof(printable)));
		return 0;
	}
	prog_fd = bpf_program__load(watch->program, "loader_event", BPF_PROG_TYPE_KPROBE);
	if (prog_fd < 0)
		return prog_fd;
	err = uprobe_set__attach(watch->probes, prog_fd, false, loader, loader_event.file_offset,
				 pid, "_dl_debug_state");
	if (err)
		return err;
	memcpy(watch->loader, loader, sizeof(loader));
	return 0;
}

/* Scans for allocators not seen before and attaches to them. Returns 0 or -errno. */
static int follow_events(struct image_watch *watch)
{
	int fd = bpf_program__map_fd(watch->program, "image_events");
	uint64_t exec_count = watch->seen_events[IMAGE_EVENT_EXEC];
	int event, err, i;

	for (event = 0; event < IMAGE_EVENTS; event++)
		bpf_lookup_elem(fd, &event, &watch->seen_events[event]);
	if (watch->seen_events[IMAGE_EVENT_EXEC] != exec_count) {
		allocator_sites__forget_mappings(&watch->sites);
		for (i = 0; i < 2; i++)
			bpf_program__clear_map(watch->program, image_maps[watch->all_mode][i]);
		target__reread_comm(watch->target);
		err = watch_loader(watch);
		if (err)
			return err;
	}
	err = allocator_sites__scan(&watch->sites, watch->target->pid, watch->object);
	if (err == -ENOENT || err == -ESRCH)
		return 0;	/* it exited: the wait sees that */
	if (err < 0) {
		print_error("cannot read the memory maps of PID %d: %s", (int)watch->target->pid,
			    strerror(-err));
		return err;
	}
	/* Stacks through what was just mapped must be named, even if it is gone by the end. */
	symbolizer__refresh(watch->symbolizer);
	/* And walked: a -c command is stopped here before the new code runs. */
	err = unwind_tables__refresh(watch->unwind);
	if (err)
		print_warning("cannot read the unwind tables of what PID %d mapped: %s; its frames are walked by frame pointers",
			      (int)watch->target->pid, strerror(-err));
	return allocator_sites__attach_new(&watch->sites, watch->program, watch->probes,
					   watch->target->pid, watch->all_mode,
					   watch->probe_at_entry ? NULL : &watch->emulation,
					   watch->verbose);
}

static bool events_changed(struct image_watch *watch)
{
	int fd = bpf_program__map_fd(watch->program, "image_events");
	uint64_t count;
	int event;

	for (event = 0; event < IMAGE_EVENTS; event++) {
		if (bpf_lookup_elem(fd, &event, &count) == 0 && count != watch->seen_events[event])
			return true;
	}
	return false;
}

int image_watch__on_wake(void *context)
{
	struct image_watch *watch = context;
	int err = 0;

	if (!watch->target->spawned)
		return events_changed(watch) ? follow_events(watch) : 0;
	/* A -c command stops at each event until it is followed. */
	while (err >= 0 && target__take_stop(watch->target)) {
		err = follow_events(watch);
		target__continue(watch->target);
	}
	return err < 0 ? err : 0;
}

static int attach_to_process(struct image_watch *watch)
{
	pid_t pid = watch->target->pid;
	int err = watch_loader(watch) ?: follow_events(watch);

	if (err || watch->sites.count)
		return err;
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
	struct target *target = watch->target;
	int status = 0;
	int err = target__release(target);

	if (err)
		return err;
	for (;;) {
		if (waitpid(target->pid, &status, WUNTRACED) < 0 || !WIFSTOPPED(status)) {
			target->exited = true;
			target->wait_status = status;
			print_error("command %s ended before it mapped an allocator (nothing to trace)",
				    target->exe_path);
			return -ESRCH;
		}
		target->held = true;
		err = follow_events(watch);
		if (err)
			return err;
		if (watch->sites.count)
			return 0;	/* the caller continues it once tracing has started */
		target__continue(target);
	}
}

/*
 * Which instructions this kernel's uprobes emulate, timed on probes that run
 * the loader-event program in this process (it returns at once here).
 */
static int calibrate(struct image_watch *watch)
{
	int prog_fd = bpf_program__load(watch->program, "loader_event", BPF_PROG_TYPE_KPROBE);
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
	int err = bpf_program__attach_raw_tracepoint(watch->program,
						     "raw_tracepoint__sched_process_exec",
						     "sched_process_exec");

	if (!err && !watch->probe_at_entry)
		err = calibrate(watch);
	if (err)
		return err;
	return watch->target->spawned ? attach_when_mapped(watch) : attach_to_process(watch);
}

void image_watch__free(struct image_watch *watch)
{
	allocator_sites__free(&watch->sites);
}

#include "trace/image_follower.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <bcc/libbpf.h>

#include "process/elf_functions.h"
#include "base/errors.h"
#include "base/growable_array.h"
#include "trace/trace_session.h"
#include "report/untrusted_text.h"

uint64_t image_follower__count(struct bcc_module *program, enum image_event event)
{
	int fd = bcc_module__map_fd(program, "image_events");
	int key = event;
	uint64_t count = 0;

	if (fd >= 0)
		bpf_lookup_elem(fd, &key, &count);
	return count;
}

uint32_t image_follower__exec_generation(struct bcc_module *program, pid_t pid)
{
	int fd = bcc_module__map_fd(program, "exec_generations");
	uint32_t tgid = pid, execs = 0;

	/* One process's program counts every exec in image_events. */
	if (fd < 0)
		return image_follower__count(program, IMAGE_EVENT_EXEC);
	bpf_lookup_elem(fd, &tgid, &execs);
	return execs;
}

/* Notes `loader` as probed for `pid`: false if it already was. -ENOMEM. */
static int note_loader(struct image_follower *follower, const struct stat *loader, pid_t pid)
{
	size_t i;

	for (i = 0; i < follower->loader_count; i++) {
		const struct probed_loader *probed = &follower->loaders[i];

		if (probed->device == loader->st_dev && probed->inode == loader->st_ino &&
		    probed->pid == pid)
			return 0;
	}
	if (growable_array__reserve(&follower->loaders, &follower->loader_capacity,
				    follower->loader_count, sizeof(*follower->loaders)))
		return -ENOMEM;
	follower->loaders[follower->loader_count++] =
		(struct probed_loader){loader->st_dev, loader->st_ino, pid};
	return 1;
}

/*
 * Probes the dynamic loader of the program `pid` runs now (it changes at
 * exec), for `probe_pid` (-1: every process that maps it), unless it is
 * probed already. A static program has none.
 */
static int watch_loader(struct image_follower *follower, pid_t pid, pid_t probe_pid)
{
	const char *loader_functions[] = {"_dl_debug_state"};
	char exe[64], interpreter[PATH_MAX], loader[PATH_MAX + 32];
	char printable[512];
	struct elf_function loader_event;
	struct stat file;
	int prog_fd, err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	if (elf_interpreter(exe, interpreter, sizeof(interpreter)))
		return 0;
	snprintf(loader, sizeof(loader), "/proc/%d/root%s", (int)pid, interpreter);
	if (stat(loader, &file))
		return 0;	/* gone, or a loader the process cannot show us */
	err = note_loader(follower, &file, probe_pid);
	if (err <= 0)
		return err;
	if (elf_find_functions(loader, loader_functions, 1, &loader_event) != 1) {
		/* Any bytes can name the loader in the target's program header. */
		print_warning("no _dl_debug_state in the dynamic loader %s: libraries the target loads from now on are not followed",
			      untrusted_text__escape(interpreter, printable, sizeof(printable)));
		return 0;
	}
	prog_fd = bcc_module__load(follower->program, "loader_event", BPF_PROG_TYPE_KPROBE);
	if (prog_fd < 0)
		return prog_fd;
	/* Its kind is not read: it fires at start-up and dlopen only, and is counted as stepped. */
	return uprobe_set__attach(follower->probes, prog_fd,
				  &(struct uprobe_site){.path = loader,
							.offset = loader_event.file_offset,
							.pid = probe_pid, .kind = KIND_OTHER,
							.function = "_dl_debug_state"});
}

static int watch_member_loader(pid_t pid, void *context)
{
	struct image_follower *follower = context;

	return watch_loader(follower, pid,
			    traced_set__probes_each_process(follower->set) ? pid : -1);
}

/*
 * The loaders of a set's members, or of every process that may join it: a
 * member's dlopen then stops nothing, but is counted, and followed.
 */
static int watch_set_loaders(struct image_follower *follower)
{
	return traced_set__foreach_candidate(follower->set, follower->program,
					     watch_member_loader, follower);
}

/* Takes the counts, and hands what changed since the last call to the tool. */
static int follow_events(struct image_follower *follower)
{
	uint64_t execs_seen = follower->seen[IMAGE_EVENT_EXEC];
	bool exec;
	int event, err;

	for (event = 0; event < IMAGE_EVENTS; event++)
		follower->seen[event] = image_follower__count(follower->program, event);
	exec = follower->seen[IMAGE_EVENT_EXEC] != execs_seen;
	/* A set without one target: new members' loaders, then the tool rescans them. */
	if (!follower->target->pid) {
		err = exec ? watch_set_loaders(follower) : 0;
		if (err)
			return err;
		return follower->follow ? follower->follow(follower->context, exec) : 0;
	}
	if (exec) {
		target__reread_comm(follower->target);
		err = watch_loader(follower, follower->target->pid, follower->target->pid);
		if (err)
			return err;
	}
	/* Stacks through what was just mapped must be named, even if it is gone by the end. */
	symbolizer__refresh(follower->symbolizer);
	/* And walked: a -c command is stopped here before the new code runs. */
	err = unwind_tables__refresh_process(follower->unwind, follower->target->pid);
	if (err)
		print_warning("cannot read the unwind tables of what PID %d mapped: %s; its frames are walked by frame pointers",
			      (int)follower->target->pid, strerror(-err));
	return follower->follow ? follower->follow(follower->context, exec) : 0;
}

static bool events_changed(struct image_follower *follower)
{
	int event;

	for (event = 0; event < IMAGE_EVENTS; event++) {
		if (image_follower__count(follower->program, event) != follower->seen[event])
			return true;
	}
	return false;
}

int image_follower__start(struct image_follower *follower)
{
	int err = bcc_module__attach_raw_tracepoint(follower->program,
						     "raw_tracepoint__sched_process_exec",
						     "sched_process_exec");

	if (err || follower->target->spawned)
		return err;
	if (!follower->target->pid)
		return watch_set_loaders(follower) ?: follow_events(follower);
	return watch_loader(follower, follower->target->pid, follower->target->pid) ?:
	       follow_events(follower);
}

int image_follower__follow_stop(struct image_follower *follower)
{
	struct target *target = follower->target;
	int status = 0;
	pid_t got;

	/* Only Ctrl-C may cut the wait short: the caller then detaches and says so. */
	do {
		got = waitpid(target->pid, &status, WUNTRACED);
	} while (got < 0 && errno == EINTR && !trace_session__interrupted());
	if (got < 0)
		return -errno;
	if (!WIFSTOPPED(status)) {
		target->exited = true;
		target->wait_status = status;
		return -ESRCH;
	}
	target->held = true;
	return follow_events(follower);
}

int image_follower__on_wake(void *context)
{
	struct image_follower *follower = context;
	int err = 0;

	if (!follower->target->spawned)
		return events_changed(follower) ? follow_events(follower) : 0;
	while (err >= 0 && target__take_stop(follower->target)) {
		err = follow_events(follower);
		target__continue(follower->target);
	}
	return err < 0 ? err : 0;
}

void image_follower__free(struct image_follower *follower)
{
	free(follower->loaders);
}

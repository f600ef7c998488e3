#include "trace/image_follower.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <bcc/libbpf.h>

#include "process/elf_functions.h"
#include "base/errors.h"
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

/*
 * Probes the dynamic loader of the program the target runs now (it changes at
 * exec), unless that loader is probed already. A static program has none.
 */
static int watch_loader(struct image_follower *follower)
{
	const char *loader_functions[] = {"_dl_debug_state"};
	char exe[64], interpreter[PATH_MAX], loader[sizeof(follower->loader)];
	char printable[512];
	pid_t pid = follower->target->pid;
	struct elf_function loader_event;
	int prog_fd, err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	if (elf_interpreter(exe, interpreter, sizeof(interpreter)))
		return 0;
	snprintf(loader, sizeof(loader), "/proc/%d/root%s", (int)pid, interpreter);
	if (!strcmp(loader, follower->loader))
		return 0;
	if (elf_find_functions(loader, loader_functions, 1, &loader_event) != 1) {
		/* Any bytes can name the loader in the target's program header. */
		print_warning("no _dl_debug_state in the dynamic loader %s: libraries the target loads from now on are not followed",
			      untrusted_text__escape(interpreter, printable, sizeof(printable)));
		return 0;
	}
	prog_fd = bcc_module__load(follower->program, "loader_event", BPF_PROG_TYPE_KPROBE);
	if (prog_fd < 0)
		return prog_fd;
	err = uprobe_set__attach(follower->probes, prog_fd, false, loader, loader_event.file_offset,
				 pid, "_dl_debug_state");
	if (err)
		return err;
	memcpy(follower->loader, loader, sizeof(loader));
	return 0;
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
	/* A set without one target: the tool rescans its members. */
	if (!follower->target->pid)
		return follower->follow ? follower->follow(follower->context, exec) : 0;
	if (exec) {
		target__reread_comm(follower->target);
		err = watch_loader(follower);
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
		return follow_events(follower);
	return watch_loader(follower) ?: follow_events(follower);
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

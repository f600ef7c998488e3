#include "bpf/uprobes.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/growable_array.h"

#define UPROBE_EVENTS "/sys/kernel/tracing/uprobe_events"

struct attached_uprobe {
	int perf_fd;
	char event_name[64];
};

struct uprobe_set {
	struct attached_uprobe *probes;
	size_t count;
	size_t capacity;
};

struct uprobe_set *uprobe_set__new(void)
{
	return calloc(1, sizeof(struct uprobe_set));
}

/*
 * Whether libbcc had to fall back to a named event for this probe: only then
 * is there one to remove (and asking libbcc to remove an absent one prints
 * errors).
 */
static bool has_named_event(const char *event_name)
{
	char line[4096], name[128];
	bool found = false;
	FILE *events;

	snprintf(name, sizeof(name), "/%s_bcc_%d ", event_name, (int)getpid());
	events = fopen(UPROBE_EVENTS, "re");
	if (!events)
		return false;
	while (!found && fgets(line, sizeof(line), events))
		found = strstr(line, name) != NULL;
	fclose(events);
	return found;
}

static void detach(struct attached_uprobe *probe)
{
	bpf_close_perf_event_fd(probe->perf_fd);
	if (has_named_event(probe->event_name))
		bpf_detach_uprobe(probe->event_name);
}

void uprobe_set__free(struct uprobe_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->count; i++)
		detach(&set->probes[i]);
	free(set->probes);
	free(set);
}

size_t uprobe_set__count(const struct uprobe_set *set)
{
	return set->count;
}

static void explain_attach_failure(int err, const char *function, const char *path)
{
	if (err == EINVAL) {
		/* Seen with bcc 0.26's Python tools, which pass a garbage ref_ctr_offset. */
		print_error("cannot attach a uprobe to %s in %s: %s (another tracer, such as bcc's memleak-bpfcc, may hold a uprobe at the same place: the kernel logs 'ref_ctr_offset mismatch' in dmesg; stop it and retry)",
			    function, path, strerror(err));
	} else if (err == EPERM || err == EACCES) {
		print_error("cannot attach a uprobe to %s in %s: %s (run as root)", function, path,
			    strerror(err));
	} else {
		print_error("cannot attach a uprobe to %s in %s: %s", function, path, strerror(err));
	}
}

int uprobe_set__attach(struct uprobe_set *set, int prog_fd, bool at_return, const char *path,
		       uint64_t offset, pid_t pid, const char *function)
{
	struct attached_uprobe *probe;
	int err;

	if (growable_array__reserve(&set->probes, &set->capacity, set->count, sizeof(*probe)))
		return -ENOMEM;
	probe = &set->probes[set->count];
	/* libbcc appends "_bcc_<our pid>": uprobes__remove_stale relies on both parts. */
	snprintf(probe->event_name, sizeof(probe->event_name), "%s_%zu", program_name, set->count);
	probe->perf_fd = bpf_attach_uprobe(prog_fd, at_return ? BPF_PROBE_RETURN : BPF_PROBE_ENTRY,
					   probe->event_name, path, offset, pid, 0);
	if (probe->perf_fd < 0) {
		err = errno ? errno : EINVAL;
		explain_attach_failure(err, function, path);
		return -err;
	}
	set->count++;
	return 0;
}

/* An event name "<tool>_<n>_bcc_<pid>" made by a run of this tool whose process is gone. */
static bool is_stale_event(const char *name)
{
	size_t prefix = strlen(program_name);
	const char *pid_text;
	long pid;
	char *end;

	if (strncmp(name, program_name, prefix) || name[prefix] != '_')
		return false;
	pid_text = strstr(name + prefix, "_bcc_");
	if (!pid_text)
		return false;
	pid = strtol(pid_text + 5, &end, 10);
	if (*end || pid <= 0)
		return false;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int uprobes__remove_stale(void)
{
	char line[4096], group_name[256], removal[300];
	int removed = 0, length;
	FILE *events;

	events = fopen(UPROBE_EVENTS, "re");
	if (!events)
		return 0;
	while (fgets(line, sizeof(line), events)) {
		const char *slash;
		int remover;

		/* "p:uprobes/NAME /path:0x..." */
		if (sscanf(line, "%*c:%255s", group_name) != 1)
			continue;
		slash = strchr(group_name, '/');
		if (!slash || !is_stale_event(slash + 1))
			continue;
		/* Not stdio: its append mode seeks to the end, which tracefs refuses. */
		remover = open(UPROBE_EVENTS, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (remover < 0)
			continue;
		length = snprintf(removal, sizeof(removal), "-:%s\n", group_name);
		removed += write(remover, removal, length) == length;
		close(remover);
	}
	fclose(events);
	return removed;
}

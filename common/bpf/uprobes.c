#include "bpf/uprobes.h"

#include <bcc/libbpf.h>
#include <linux/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/growable_array.h"

#define UPROBE_EVENTS "/sys/kernel/tracing/uprobe_events"

/*
 * A uprobe is attached as a BPF link where the kernel has them (Linux 6.6's
 * uprobe_multi links, one site a link here), else as a perf event. A perf
 * event's close waits for a grace period under a lock all of them share
 * (about 50 ms here, one after another: a second for twenty probes); links
 * closed together wait together.
 */
struct attached_uprobe {
	int fd;
	bool is_link;
	bool at_return;
	enum instruction_kind kind;
	char event_name[64];	/* a perf event's, for libbcc's named-event fallback */
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
	if (probe->is_link) {
		close(probe->fd);
		return;
	}
	bpf_close_perf_event_fd(probe->fd);
	if (has_named_event(probe->event_name))
		bpf_detach_uprobe(probe->event_name);
}

/*
 * Closing a uprobe link waits in the kernel for the probe's readers to be
 * done (an RCU grace period: about 20 ms here), so a few dozen links closed
 * one after another took most of a second. Closed from several threads at
 * once, the waits overlap: 16 links in 36 ms.
 */
#define DETACH_THREADS 16

struct detach_share {
	struct uprobe_set *set;
	size_t first;		/* the probes first, first + step, ... */
	size_t step;
};

static void *detach_share(void *context)
{
	const struct detach_share *share = context;
	size_t i;

	for (i = share->first; i < share->set->count; i += share->step)
		detach(&share->set->probes[i]);
	return NULL;
}

void uprobe_set__free(struct uprobe_set *set)
{
	struct detach_share shares[DETACH_THREADS];
	pthread_t threads[DETACH_THREADS];
	size_t share_count, started = 0, i;

	if (!set)
		return;
	share_count = set->count < DETACH_THREADS ? set->count : DETACH_THREADS;
	for (i = 0; i < share_count; i++)
		shares[i] = (struct detach_share){set, i, share_count};
	while (started < share_count &&
	       !pthread_create(&threads[started], NULL, detach_share, &shares[started]))
		started++;
	/* Without threads (out of them), the rest is closed here, one by one. */
	for (i = started; i < share_count; i++)
		detach_share(&shares[i]);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
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

/*
 * union bpf_attr's link_create with its uprobe_multi member (Linux 6.6): the
 * installed uapi headers may be older than the running kernel.
 */
struct uprobe_link_attr {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t count;
	uint32_t probe_flags;
	uint32_t pid;
};
#define UPROBE_LINK_RETURN 1		/* BPF_F_UPROBE_MULTI_RETURN */

static int create_uprobe_link(int prog_fd, bool at_return, const char *path, uint64_t *offset,
			      uint64_t *cookie, pid_t pid)
{
	struct uprobe_link_attr attr = {
		.prog_fd = prog_fd, .attach_type = UPROBE_LINK_ATTACH_TYPE,
		.path = (uintptr_t)path, .offsets = (uintptr_t)offset,
		.cookies = (uintptr_t)cookie, .count = 1,
		.probe_flags = at_return ? UPROBE_LINK_RETURN : 0,
		.pid = pid > 0 ? pid : 0,	/* 0: every process */
	};

	return syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
}

/*
 * Whether the kernel has uprobe links, asked once: a kernel that has them
 * refuses a path it cannot read with EFAULT, before it looks further; one
 * that has not refuses the attach type with EINVAL.
 */
static bool kernel_has_uprobe_links(int prog_fd)
{
	static int answer = -1;
	uint64_t offset = 0, cookie = 0;

	if (answer < 0) {
		answer = create_uprobe_link(prog_fd, false, (const char *)1, &offset, &cookie, 0) < 0 &&
			 errno == EFAULT;
	}
	return answer;
}

/* The probe's cookie is its slot in probe_hits.h: its index in the set, plus one. */
static int attach_one(struct attached_uprobe *probe, uint64_t slot, int prog_fd,
		      const struct uprobe_site *site)
{
	uint64_t offset = site->offset;

	probe->is_link = kernel_has_uprobe_links(prog_fd);
	if (probe->is_link)
		return create_uprobe_link(prog_fd, site->at_return, site->path, &offset, &slot,
					  site->pid);
	return bpf_attach_uprobe(prog_fd, site->at_return ? BPF_PROBE_RETURN : BPF_PROBE_ENTRY,
				 probe->event_name, site->path, offset, site->pid, 0);
}

int uprobe_set__attach(struct uprobe_set *set, int prog_fd, const struct uprobe_site *site)
{
	struct attached_uprobe *probe;
	int err;

	if (growable_array__reserve(&set->probes, &set->capacity, set->count, sizeof(*probe)))
		return -ENOMEM;
	probe = &set->probes[set->count];
	/* libbcc appends "_bcc_<our pid>": uprobes__remove_stale relies on both parts. */
	snprintf(probe->event_name, sizeof(probe->event_name), "%s_%zu", program_name, set->count);
	probe->fd = attach_one(probe, set->count + 1, prog_fd, site);
	if (probe->fd < 0) {
		err = errno ? errno : EINVAL;
		explain_attach_failure(err, site->function, site->path);
		return -err;
	}
	probe->at_return = site->at_return;
	probe->kind = site->kind;
	set->count++;
	return 0;
}

bool uprobe_set__counts_hits(const struct uprobe_set *set)
{
	return set->count && set->probes[0].is_link;
}

void uprobe_set__cost_class(const struct uprobe_set *set, size_t index, bool *at_return,
			    enum instruction_kind *kind)
{
	*at_return = set->probes[index].at_return;
	*kind = set->probes[index].kind;
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

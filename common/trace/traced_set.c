#include "trace/traced_set.h"

#include <bcc/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/parse.h"
#include "bpf/kernel_btf.h"
#include "bpf/map_entries.h"
#include "process/proc_fields.h"
#include "trace/target.h"

/* Whether `path` is in a cgroup v2 file system. */
static bool on_cgroup2(const char *path)
{
	struct statfs fs;

	return !statfs(path, &fs) && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/*
 * A cgroup's depth below the root of its hierarchy, which is what
 * bpf_get_current_ancestor_cgroup_id() counts: the directories between it
 * and the highest directory above it still on the same cgroup v2 mount.
 */
static int cgroup_level(char *path)
{
	struct stat here, above;
	int level = 0;
	char *slash;

	while ((slash = strrchr(path, '/')) && slash != path) {
		if (stat(path, &here))
			return -errno;
		*slash = '\0';
		if (stat(path, &above) || above.st_dev != here.st_dev || !on_cgroup2(path))
			break;
		level++;
	}
	return level;
}

static int open_cgroup(struct traced_set *set, const char *given)
{
	char path[PATH_MAX];
	struct stat status;
	int level;

	if (!realpath(given, path) || stat(path, &status) || !S_ISDIR(status.st_mode)) {
		print_error("cannot trace cgroup %s: %s (give a directory under /sys/fs/cgroup)",
			    given, strerror(errno ? errno : ENOTDIR));
		return -ENOENT;
	}
	if (!on_cgroup2(path)) {
		print_error("cannot trace %s: it is not a cgroup v2 directory (give one under a cgroup2 mount, such as /sys/fs/cgroup/system.slice/...)",
			    given);
		return -EINVAL;
	}
	level = cgroup_level(path);
	if (level < 0) {
		print_error("cannot read cgroup %s: %s", given, strerror(-level));
		return level;
	}
	/* A cgroup v2 directory's inode number is the cgroup's id. */
	set->cgroup_id = status.st_ino;
	set->cgroup_level = level;
	return 0;
}

/* A -p PID must be a process: a thread's ID names it with -t. */
static int check_listed(pid_t pid)
{
	int err = target__check_process(pid);

	if (err)
		return err;
	if (proc_status__read(pid, "Tgid") != pid) {
		print_error("cannot trace PID %d: it is a thread, not a process (give it with -t, or give its process's PID)",
			    (int)pid);
		return -EINVAL;
	}
	return 0;
}

int traced_set__open(struct traced_set *set, const struct cli_settings *settings)
{
	size_t i;
	int err;

	*set = (struct traced_set){.children = settings->children, .listed = settings->pids,
				   .listed_count = settings->pid_count,
				   .cgroup = settings->cgroup};
	if (settings->cgroup) {
		set->scope = SCOPE_CGROUP;
		return open_cgroup(set, settings->cgroup);
	}
	if (settings->pid_count > 1 || settings->children)
		set->scope = SCOPE_LISTED;
	else if (settings->pid || settings->tid || settings->command)
		set->scope = SCOPE_PROCESS;
	else
		set->scope = SCOPE_HOST;
	if (set->children) {
		err = kernel_btf__member_offset("task_struct", "tgid", &set->task_tgid_offset);
		if (err) {
			print_error("--children needs this kernel's BTF to tell a new process's ID: %s (use a kernel built with CONFIG_DEBUG_INFO_BTF, or trace the whole host)",
				    err == -ENOENT ? "no /sys/kernel/btf/vmlinux with task_struct's tgid"
						   : strerror(-err));
			return err;
		}
	}
	for (i = 0; set->scope == SCOPE_LISTED && i < set->listed_count; i++) {
		err = check_listed(set->listed[i]);
		if (err)
			return err;
	}
	return 0;
}

bool traced_set__is_one_process(const struct traced_set *set)
{
	return set->scope == SCOPE_PROCESS;
}

bool traced_set__probes_each_process(const struct traced_set *set)
{
	return set->scope == SCOPE_PROCESS || (set->scope == SCOPE_LISTED && !set->children);
}

int traced_set__add_defines(const struct traced_set *set, struct bpf_defines *defines)
{
	return bpf_defines__add(defines, "TRACE_SCOPE", set->scope) ?:
	       bpf_defines__add(defines, "FOLLOW_CHILDREN", set->children) ?:
	       bpf_defines__add(defines, "TASK_TGID_OFFSET", set->task_tgid_offset) ?:
	       bpf_defines__add(defines, "CGROUP_ID", set->cgroup_id) ?:
	       bpf_defines__add(defines, "CGROUP_LEVEL", set->cgroup_level) ?:
	       bpf_defines__add(defines, "TOOL_TGID", getpid());
}

static int add_member(int fd, pid_t pid)
{
	uint32_t tgid = pid;
	uint8_t traced = 1;

	if (bpf_update_elem(fd, &tgid, &traced, BPF_ANY)) {
		print_error("cannot add PID %d to the traced set: %s", (int)pid, strerror(errno));
		return -errno;
	}
	return 0;
}

int traced_set__start(struct traced_set *set, struct bcc_module *program)
{
	int fd, err = 0;
	size_t i;

	if (set->scope != SCOPE_LISTED)
		return 0;
	fd = bcc_module__map_fd(program, "traced_tgids");
	for (i = 0; !err && i < set->listed_count; i++)
		err = add_member(fd, set->listed[i]);
	if (!err && set->command)
		err = add_member(fd, set->command);
	if (!err && set->children)
		err = bcc_module__attach_raw_tracepoint(program, "raw_tracepoint__sched_process_fork",
							 "sched_process_fork");
	return err;
}

/* Every process of the host but the tool: the numeric entries of /proc. */
static int foreach_process(traced_set_visit_fn visit, void *context)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	uint64_t pid;
	int result = 0;

	if (!proc)
		return -errno;
	while (!result && (entry = readdir(proc))) {
		if (parse_u64(entry->d_name, 1, INT32_MAX, &pid) && pid != (uint64_t)getpid())
			result = visit((pid_t)pid, context);
	}
	closedir(proc);
	return result;
}

/* The processes of the cgroup directory `path` and of those below it. */
static int foreach_in_cgroup(const char *path, traced_set_visit_fn visit, void *context)
{
	char file[PATH_MAX], line[32];
	struct dirent *entry;
	uint64_t pid;
	int result = 0;
	FILE *procs;
	DIR *dir;

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	procs = fopen(file, "re");
	while (procs && !result && fgets(line, sizeof(line), procs)) {
		line[strcspn(line, "\n")] = '\0';
		if (parse_u64(line, 1, INT32_MAX, &pid))
			result = visit((pid_t)pid, context);
	}
	if (procs)
		fclose(procs);
	dir = opendir(path);
	while (dir && !result && (entry = readdir(dir))) {
		if (entry->d_type != DT_DIR || entry->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, entry->d_name);
		result = foreach_in_cgroup(file, visit, context);
	}
	if (dir)
		closedir(dir);
	return result;
}

struct listed_visit {
	traced_set_visit_fn visit;
	void *context;
};

/* A member still running; one that exited stays in the map, and is passed over. */
static int visit_listed(const void *key, const void *value, void *context)
{
	const struct listed_visit *listed = context;
	uint32_t tgid = *(const uint32_t *)key;
	char path[64];

	(void)value;
	snprintf(path, sizeof(path), "/proc/%u", tgid);
	return access(path, F_OK) ? 0 : listed->visit((pid_t)tgid, listed->context);
}

static int foreach_listed(struct bcc_module *program, traced_set_visit_fn visit, void *context)
{
	struct listed_visit listed = {visit, context};

	return map_entries__foreach(bcc_module__map_fd(program, "traced_tgids"), sizeof(uint32_t),
				    sizeof(uint8_t), visit_listed, &listed);
}

int traced_set__foreach(const struct traced_set *set, struct bcc_module *program,
			traced_set_visit_fn visit, void *context)
{
	switch (set->scope) {
	case SCOPE_LISTED:
		return foreach_listed(program, visit, context);
	case SCOPE_CGROUP:
		return foreach_in_cgroup(set->cgroup, visit, context);
	case SCOPE_HOST:
		return foreach_process(visit, context);
	default:
		return 0;
	}
}

int traced_set__foreach_candidate(const struct traced_set *set, struct bcc_module *program,
				  traced_set_visit_fn visit, void *context)
{
	if (set->scope == SCOPE_CGROUP)
		return foreach_process(visit, context);
	return traced_set__foreach(set, program, visit, context);
}

void traced_set__describe(const struct traced_set *set, char *text, size_t size)
{
	switch (set->scope) {
	case SCOPE_LISTED:
		if (set->listed_count + (set->command != 0) == 1)
			snprintf(text, size, "PID %d and its children",
				 (int)(set->command ?: set->listed[0]));
		else
			snprintf(text, size, "%zu processes%s", set->listed_count + (set->command != 0),
				 set->children ? " and their children" : "");
		return;
	case SCOPE_CGROUP:
		snprintf(text, size, "cgroup %s", set->cgroup);
		return;
	default:
		snprintf(text, size, "every process");
		return;
	}
}

void traced_set__print_losses(const struct traced_set *set, struct bcc_module *program)
{
	int fd = bcc_module__map_fd(program, "set_losses");
	uint64_t counts[SET_LOSSES] = {0};
	uint32_t which;

	(void)set;
	for (which = 0; fd >= 0 && which < SET_LOSSES; which++)
		bpf_lookup_elem(fd, &which, &counts[which]);
	if (counts[SET_LOSS_CHILDREN])
		print_warning("%llu new processes were not traced: the set already held %d processes",
			      (unsigned long long)counts[SET_LOSS_CHILDREN], MAX_TRACED_PROCESSES);
	if (counts[SET_LOSS_EXECS])
		print_warning("the execs of %llu processes were not counted (more than %d exec'd): what their old images held may be reported with the new",
			      (unsigned long long)counts[SET_LOSS_EXECS], MAX_TRACED_PROCESSES);
}

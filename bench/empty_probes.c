/*
 * Attaches an empty BPF program where memstacks attaches its own, to measure
 * what the uprobes alone cost on this machine:
 *   empty_probes PID [WORD...]
 * with the words, in any order:
 *   entry     malloc entry only (-a mode's probes); without it malloc entry and
 *             return and free entry (unfreed mode's probes)
 *   placed    at the offsets memstacks chooses (its first emulated instruction),
 *             not at the entries
 *   /OBJECT   in the object whose path contains it (e.g. /libjemalloc.so);
 *             the default is /libc.so
 * Prints "Tracing" once attached and detaches on SIGINT.
 */
#include <linux/bpf.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/bcc_module.h"
#include "bpf/kernel_headers.h"
#include "process/elf_functions.h"
#include "base/errors.h"
#include "bpf/probe_placement.h"
#include "process/proc_maps.h"
#include "trace/trace_session.h"
#include "bpf/uprobe_calibration.h"
#include "bpf/uprobes.h"

extern const char empty_probe_bpf_text[];

struct object_search {
	const char *fragment;
	char path[PATH_MAX + 32];
	pid_t pid;
};

static int find_object(const struct map_entry *entry, void *context)
{
	struct object_search *search = context;

	if (!entry->executable || !strstr(entry->path, search->fragment))
		return 0;
	snprintf(search->path, sizeof(search->path), "/proc/%d/root%s", (int)search->pid,
		 entry->path);
	return 1;
}

/* Where memstacks would put this function's probe: its file offset. */
static uint64_t placed_offset(const char *path, const struct elf_function *function,
			      const struct emulation *emulation, const char *name)
{
	struct probe_placement placement;

	probe_placement__choose_in_file(emulation, path, function->file_offset, function->size,
					function->address, PRESERVE_RDI, &placement);
	fprintf(stderr, "empty_probes: %s: %s\n", name, placement.reason);
	return function->file_offset + placement.offset;
}

int main(int argc, char **argv)
{
	const char *names[] = {"malloc", "free"};
	struct elf_function found[2];
	struct object_search allocator = {.fragment = "/libc.so"};
	struct bpf_defines defines = {0};
	struct kernel_headers headers;
	struct bcc_module *program = NULL;
	struct uprobe_set *probes = NULL;
	int entry_only = 0, placed = 0, prog_fd, exit_code = 1, i;
	uint64_t malloc_offset, free_offset;
	struct emulation emulation;

	program_name = "empty_probes";
	if (argc < 2) {
		fprintf(stderr, "usage: empty_probes PID [entry] [placed] [/OBJECT]\n");
		return 2;
	}
	allocator.pid = atoi(argv[1]);
	for (i = 2; i < argc; i++) {
		entry_only |= !strcmp(argv[i], "entry");
		placed |= !strcmp(argv[i], "placed");
		if (argv[i][0] == '/')
			allocator.fragment = argv[i];
	}
	trace_session__handle_signals();
	if (proc_maps__foreach(allocator.pid, find_object, &allocator) != 1 ||
	    elf_find_functions(allocator.path, names, 2, found) != 2) {
		print_error("cannot find malloc and free in a %s object of PID %s", allocator.fragment,
			    argv[1]);
		return 1;
	}
	if (!bcc_module__check_privileges() || kernel_headers__find(&headers))
		return 1;
	program = bcc_module__compile(empty_probe_bpf_text, &defines, &headers);
	probes = uprobe_set__new();
	if (!program || !probes)
		goto out;
	prog_fd = bcc_module__load(program, "empty_probe", BPF_PROG_TYPE_KPROBE);
	if (prog_fd < 0 || (placed && uprobe_calibration__measure(prog_fd, &emulation)))
		goto out;
	malloc_offset = placed ? placed_offset(allocator.path, &found[0], &emulation, "malloc")
			       : found[0].file_offset;
	free_offset = placed ? placed_offset(allocator.path, &found[1], &emulation, "free")
			     : found[1].file_offset;
	if (uprobe_set__attach(probes, prog_fd,
			       &(struct uprobe_site){.path = allocator.path, .offset = malloc_offset,
						     .pid = allocator.pid, .function = "malloc"}))
		goto out;
	if (!entry_only &&
	    (uprobe_set__attach(probes, prog_fd,
				&(struct uprobe_site){.path = allocator.path,
						      .offset = malloc_offset,
						      .pid = allocator.pid, .at_return = true,
						      .function = "malloc"}) ||
	     uprobe_set__attach(probes, prog_fd,
				&(struct uprobe_site){.path = allocator.path, .offset = free_offset,
						      .pid = allocator.pid, .function = "free"})))
		goto out;
	fprintf(stderr, "Tracing with %zu empty uprobes\n", uprobe_set__count(probes));
	while (!trace_session__interrupted())
		pause();
	exit_code = 0;
out:
	uprobe_set__free(probes);
	bcc_module__free(program);
	return exit_code;
}

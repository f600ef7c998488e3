/*
 * Attaches an empty BPF program where memstacks attaches its own, to measure
 * what the uprobes alone cost on this machine:
 *   empty_probes PID          malloc entry and return, free entry (unfreed mode's probes)
 *   empty_probes PID entry    malloc entry only (-a mode's probes)
 * Prints "Tracing" once attached and detaches on SIGINT.
 */
#include <linux/bpf.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_program.h"
#include "elf_functions.h"
#include "errors.h"
#include "proc_maps.h"
#include "trace_session.h"
#include "uprobes.h"

extern const char empty_probe_bpf_text[];

struct libc_search {
	char path[PATH_MAX + 32];
	pid_t pid;
};

static int find_libc(const struct map_entry *entry, void *context)
{
	struct libc_search *search = context;

	if (!entry->executable || !strstr(entry->path, "/libc.so"))
		return 0;
	snprintf(search->path, sizeof(search->path), "/proc/%d/root%s", (int)search->pid,
		 entry->path);
	return 1;
}

int main(int argc, char **argv)
{
	const char *names[] = {"malloc", "free"};
	struct elf_function found[2];
	struct libc_search libc = {0};
	struct bpf_defines defines = {0};
	struct bpf_program *program = NULL;
	struct uprobe_set *probes = NULL;
	int entry_only, prog_fd, exit_code = 1;

	program_name = "empty_probes";
	if (argc < 2) {
		fprintf(stderr, "usage: empty_probes PID [entry]\n");
		return 2;
	}
	libc.pid = atoi(argv[1]);
	entry_only = argc > 2 && !strcmp(argv[2], "entry");
	trace_session__handle_signals();
	if (proc_maps__foreach(libc.pid, find_libc, &libc) != 1 ||
	    elf_find_functions(libc.path, names, 2, found) != 2) {
		print_error("cannot find malloc and free in the libc of PID %s", argv[1]);
		return 1;
	}
	program = bpf_program__compile(empty_probe_bpf_text, &defines);
	probes = uprobe_set__new();
	if (!program || !probes)
		goto out;
	prog_fd = bpf_program__load(program, "empty_probe", BPF_PROG_TYPE_KPROBE);
	if (prog_fd < 0 ||
	    uprobe_set__attach(probes, prog_fd, false, libc.path, found[0].file_offset, libc.pid,
			       "malloc") < 0)
		goto out;
	if (!entry_only &&
	    (uprobe_set__attach(probes, prog_fd, true, libc.path, found[0].file_offset, libc.pid,
				"malloc") < 0 ||
	     uprobe_set__attach(probes, prog_fd, false, libc.path, found[1].file_offset, libc.pid,
				"free") < 0))
		goto out;
	fprintf(stderr, "Tracing with %zu empty uprobes\n", uprobe_set__count(probes));
	while (!trace_session__interrupted())
		pause();
	exit_code = 0;
out:
	uprobe_set__free(probes);
	bpf_program__free(program);
	return exit_code;
}

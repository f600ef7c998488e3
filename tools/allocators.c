#include "allocators.h"

#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_functions.h"
#include "errors.h"
#include "growable_array.h"
#include "proc_maps.h"

/* Indexed by enum alloc_fn; free comes last. Earlier names win for aliases. */
static const struct allocator_function functions[] = {
	[FN_MALLOC] = {"malloc", "malloc_entry", false},
	[FN_CALLOC] = {"calloc", "calloc_entry", false},
	[FN_REALLOC] = {"realloc", "realloc_entry", false},
	[FN_REALLOCARRAY] = {"reallocarray", "reallocarray_entry", false},
	[FN_POSIX_MEMALIGN] = {"posix_memalign", "posix_memalign_entry", false},
	[FN_ALIGNED_ALLOC] = {"aligned_alloc", "aligned_alloc_entry", false},
	[FN_MEMALIGN] = {"memalign", "memalign_entry", false},
	[FN_VALLOC] = {"valloc", "valloc_entry", false},
	[FN_PVALLOC] = {"pvalloc", "pvalloc_entry", false},
	[FN_COUNT] = {"free", "free_entry", true},
};
#define FUNCTION_COUNT (sizeof(functions) / sizeof(functions[0]))

const char *alloc_fn_name(enum alloc_fn fn)
{
	return fn < FN_COUNT ? functions[fn].symbol : "[unknown allocator]";
}

static bool object_matches(const char *path, const char *object)
{
	const char *file_name = strrchr(path, '/');
	size_t length = strlen(object);

	file_name = file_name ? file_name + 1 : path;
	if (!strcmp(path, object) || !strcmp(file_name, object))
		return true;
	/* "-O c" names libc.so.6, as bcc's library names do. */
	return !strncmp(file_name, "lib", 3) && !strncmp(file_name + 3, object, length) &&
	       file_name[3 + length] == '.';
}

static bool has_site(const struct allocator_sites *sites, const char *object, uint64_t offset)
{
	size_t i;

	for (i = 0; i < sites->count; i++) {
		if (sites->items[i].file_offset == offset && !strcmp(sites->items[i].object, object))
			return true;
	}
	return false;
}

static int add_site(struct allocator_sites *sites, const struct allocator_function *function,
		    const char *object, uint64_t file_offset, uint64_t start, uint64_t size)
{
	struct allocator_site *site;

	if (growable_array__reserve(&sites->items, &sites->capacity, sites->count, sizeof(*site)))
		return -ENOMEM;
	site = &sites->items[sites->count];
	site->object = strdup(object);
	if (!site->object)
		return -ENOMEM;
	site->function = function;
	site->file_offset = file_offset;
	site->start = start;
	site->end = start + size;
	sites->count++;
	return 0;
}

struct scan {
	struct allocator_sites *sites;
	pid_t pid;
	const char *object;
	int added;
};

/* Each executable file mapping: its ELF symbols, placed at the mapping's address. */
static int scan_mapping(const struct map_entry *entry, void *context)
{
	const char *names[FUNCTION_COUNT];
	struct elf_function found[FUNCTION_COUNT];
	char object[PATH_MAX + 32];
	struct scan *scan = context;
	uint64_t mapped_size = entry->end - entry->start;
	size_t i;
	int err;

	if (!entry->executable || entry->path[0] != '/')
		return 0;
	if (scan->object && !object_matches(entry->path, scan->object))
		return 0;
	/* Through the target's root, so that a process in a container works too. */
	snprintf(object, sizeof(object), "/proc/%d/root%s", (int)scan->pid, entry->path);
	for (i = 0; i < FUNCTION_COUNT; i++)
		names[i] = functions[i].symbol;
	if (elf_find_functions(object, names, FUNCTION_COUNT, found) <= 0)
		return 0;
	for (i = 0; i < FUNCTION_COUNT; i++) {
		uint64_t offset = found[i].file_offset;

		if (!found[i].found || offset < entry->file_offset ||
		    offset - entry->file_offset >= mapped_size || has_site(scan->sites, object, offset))
			continue;
		err = add_site(scan->sites, &functions[i], object, offset,
			       entry->start + offset - entry->file_offset, found[i].size);
		if (err)
			return err;
		scan->added++;
	}
	return 0;
}

int allocator_sites__scan(struct allocator_sites *sites, pid_t pid, const char *object)
{
	struct scan scan = {.sites = sites, .pid = pid, .object = object};
	int err = proc_maps__foreach(pid, scan_mapping, &scan);

	return err ? err : scan.added;
}

bool allocator_sites__contains(const struct allocator_sites *sites, uint64_t address)
{
	size_t i;

	for (i = 0; i < sites->count; i++) {
		if (address >= sites->items[i].start && address < sites->items[i].end)
			return true;
	}
	return false;
}

void allocator_sites__free(struct allocator_sites *sites)
{
	size_t i;

	for (i = 0; i < sites->count; i++)
		free(sites->items[i].object);
	free(sites->items);
	memset(sites, 0, sizeof(*sites));
}

static int attach_site(const struct allocator_site *site, struct bpf_program *program,
		       struct uprobe_set *probes, pid_t pid, bool all_mode, bool verbose)
{
	const struct allocator_function *function = site->function;
	int prog_fd, handle;

	/* -a counts at entry and ignores frees: nothing else to attach. */
	if (all_mode && function->is_free)
		return 0;
	prog_fd = bpf_program__load(program, function->entry_program, BPF_PROG_TYPE_KPROBE);
	if (prog_fd < 0)
		return prog_fd;
	handle = uprobe_set__attach(probes, prog_fd, false, site->object, site->file_offset, pid,
				    function->symbol);
	if (handle < 0)
		return handle;
	if (!all_mode && !function->is_free) {
		prog_fd = bpf_program__load(program, "alloc_return", BPF_PROG_TYPE_KPROBE);
		if (prog_fd < 0)
			return prog_fd;
		handle = uprobe_set__attach(probes, prog_fd, true, site->object,
					    site->file_offset, pid, function->symbol);
		if (handle < 0)
			return handle;
	}
	if (verbose)
		fprintf(stderr, "%s: attached %s%s at file offset 0x%llx of %s\n", program_name,
			function->symbol, all_mode || function->is_free ? "" : " (entry and return)",
			(unsigned long long)site->file_offset, site->object);
	return 0;
}

int allocator_sites__attach(const struct allocator_sites *sites, size_t first,
			    struct bpf_program *program, struct uprobe_set *probes, pid_t pid,
			    bool all_mode, bool verbose)
{
	size_t i;
	int err;

	for (i = first; i < sites->count; i++) {
		err = attach_site(&sites->items[i], program, probes, pid, all_mode, verbose);
		if (err)
			return err;
	}
	return 0;
}

#include "allocators.h"

#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/elf_functions.h"
#include "base/errors.h"
#include "base/growable_array.h"
#include "bpf/probe_placement.h"
#include "process/proc_maps.h"
#include "report/untrusted_text.h"

/* Which prefixed builds of a function exist: je_malloc, tc_malloc, mi_malloc. */
enum prefix {
	PREFIX_NONE = 1 << 0,
	PREFIX_JE = 1 << 1,	/* jemalloc built with --with-jemalloc-prefix=je_ (redis's) */
	PREFIX_TC = 1 << 2,	/* tcmalloc's tc_* entry points */
	PREFIX_MI = 1 << 3,	/* mimalloc's mi_* API */
};
#define PREFIX_ANY (PREFIX_NONE | PREFIX_JE | PREFIX_TC | PREFIX_MI)

static const struct {
	enum prefix bit;
	const char *text;
} prefixes[] = {{PREFIX_NONE, ""}, {PREFIX_JE, "je_"}, {PREFIX_TC, "tc_"}, {PREFIX_MI, "mi_"}};

/* The argument registers each entry program reads: a probe may not move past their writes. */
static const struct {
	const char *name;
	unsigned reads;
} entry_programs[] = {
	{"malloc_entry", PRESERVE_RDI},
	{"size_entry", PRESERVE_RDI},
	{"calloc_entry", PRESERVE_RDI | PRESERVE_RSI},
	{"realloc_entry", PRESERVE_RDI | PRESERVE_RSI},
	{"reallocarray_entry", PRESERVE_RDI | PRESERVE_RSI | PRESERVE_RDX},
	{"posix_memalign_entry", PRESERVE_RDI | PRESERVE_RDX},
	{"aligned_entry", PRESERVE_RSI},
	{"xallocx_entry", PRESERVE_RDI | PRESERVE_RSI},
	{"free_entry", PRESERVE_RDI},
};

static unsigned registers_read_by(const char *entry_program)
{
	size_t i;

	for (i = 0; i < sizeof(entry_programs) / sizeof(entry_programs[0]); i++) {
		if (!strcmp(entry_programs[i].name, entry_program))
			return entry_programs[i].reads;
	}
	return PRESERVE_RDI | PRESERVE_RSI | PRESERVE_RDX | PRESERVE_RCX;
}

struct allocator_function {
	const char *symbol;		/* without its prefix */
	unsigned prefixes;		/* enum prefix bits: the names it exists under */
	const char *entry_program;	/* the BPF function run at its entry, by argument meaning */
	bool is_free;			/* frees take no return probe and no -a probe */
	const char *display;		/* C++: the demangled name; NULL: the symbol */
};

/*
 * Every function that hands out or takes back heap blocks. Where functions
 * share an address, the first name met wins: unprefixed names come first (all
 * of them, then the prefixed ones), so tcmalloc's malloc is "malloc", not
 * "tc_malloc", and its operator new is "operator new", not "tc_new".
 * Not here, since they allocate nothing: malloc_usable_size, nallocx, sallocx.
 */
static const struct allocator_function functions[] = {
	{"malloc", PREFIX_ANY, "malloc_entry", false, NULL},
	{"calloc", PREFIX_ANY, "calloc_entry", false, NULL},
	{"realloc", PREFIX_ANY, "realloc_entry", false, NULL},
	{"reallocarray", PREFIX_ANY, "reallocarray_entry", false, NULL},
	{"posix_memalign", PREFIX_ANY, "posix_memalign_entry", false, NULL},
	{"aligned_alloc", PREFIX_ANY, "aligned_entry", false, NULL},
	{"memalign", PREFIX_ANY, "aligned_entry", false, NULL},
	{"valloc", PREFIX_ANY, "size_entry", false, NULL},
	{"pvalloc", PREFIX_ANY, "size_entry", false, NULL},
	{"free", PREFIX_ANY, "free_entry", true, NULL},
	{"cfree", PREFIX_ANY, "free_entry", true, NULL},
	{"free_sized", PREFIX_ANY, "free_entry", true, NULL},		/* C23 */
	{"free_aligned_sized", PREFIX_ANY, "free_entry", true, NULL},

	/* C++: libstdc++'s forward to malloc; tcmalloc, jemalloc, mimalloc have their own. */
	{"_Znwm", PREFIX_NONE, "size_entry", false, "operator new(unsigned long)"},
	{"_Znam", PREFIX_NONE, "size_entry", false, "operator new[](unsigned long)"},
	{"_ZnwmRKSt9nothrow_t", PREFIX_NONE, "size_entry", false,
	 "operator new(unsigned long, std::nothrow_t const&)"},
	{"_ZnamRKSt9nothrow_t", PREFIX_NONE, "size_entry", false,
	 "operator new[](unsigned long, std::nothrow_t const&)"},
	{"_ZnwmSt11align_val_t", PREFIX_NONE, "size_entry", false,
	 "operator new(unsigned long, std::align_val_t)"},
	{"_ZnamSt11align_val_t", PREFIX_NONE, "size_entry", false,
	 "operator new[](unsigned long, std::align_val_t)"},
	{"_ZnwmSt11align_val_tRKSt9nothrow_t", PREFIX_NONE, "size_entry", false,
	 "operator new(unsigned long, std::align_val_t, std::nothrow_t const&)"},
	{"_ZnamSt11align_val_tRKSt9nothrow_t", PREFIX_NONE, "size_entry", false,
	 "operator new[](unsigned long, std::align_val_t, std::nothrow_t const&)"},
	{"_ZdlPv", PREFIX_NONE, "free_entry", true, "operator delete(void*)"},
	{"_ZdaPv", PREFIX_NONE, "free_entry", true, "operator delete[](void*)"},
	{"_ZdlPvm", PREFIX_NONE, "free_entry", true, "operator delete(void*, unsigned long)"},
	{"_ZdaPvm", PREFIX_NONE, "free_entry", true, "operator delete[](void*, unsigned long)"},
	{"_ZdlPvSt11align_val_t", PREFIX_NONE, "free_entry", true,
	 "operator delete(void*, std::align_val_t)"},
	{"_ZdaPvSt11align_val_t", PREFIX_NONE, "free_entry", true,
	 "operator delete[](void*, std::align_val_t)"},
	{"_ZdlPvmSt11align_val_t", PREFIX_NONE, "free_entry", true,
	 "operator delete(void*, unsigned long, std::align_val_t)"},
	{"_ZdaPvmSt11align_val_t", PREFIX_NONE, "free_entry", true,
	 "operator delete[](void*, unsigned long, std::align_val_t)"},
	{"_ZdlPvRKSt9nothrow_t", PREFIX_NONE, "free_entry", true,
	 "operator delete(void*, std::nothrow_t const&)"},
	{"_ZdaPvRKSt9nothrow_t", PREFIX_NONE, "free_entry", true,
	 "operator delete[](void*, std::nothrow_t const&)"},
	{"_ZdlPvSt11align_val_tRKSt9nothrow_t", PREFIX_NONE, "free_entry", true,
	 "operator delete(void*, std::align_val_t, std::nothrow_t const&)"},
	{"_ZdaPvSt11align_val_tRKSt9nothrow_t", PREFIX_NONE, "free_entry", true,
	 "operator delete[](void*, std::align_val_t, std::nothrow_t const&)"},

	/* jemalloc's own API. */
	{"mallocx", PREFIX_NONE | PREFIX_JE, "size_entry", false, NULL},
	{"rallocx", PREFIX_NONE | PREFIX_JE, "realloc_entry", false, NULL},
	{"xallocx", PREFIX_NONE | PREFIX_JE, "xallocx_entry", false, NULL},
	{"sdallocx", PREFIX_NONE | PREFIX_JE, "free_entry", true, NULL},
	{"dallocx", PREFIX_NONE | PREFIX_JE, "free_entry", true, NULL},

	/* tcmalloc's C++ entry points, which its operator new and delete alias. */
	{"new", PREFIX_TC, "size_entry", false, NULL},
	{"newarray", PREFIX_TC, "size_entry", false, NULL},
	{"new_nothrow", PREFIX_TC, "size_entry", false, NULL},
	{"newarray_nothrow", PREFIX_TC, "size_entry", false, NULL},
	{"new_aligned", PREFIX_TC, "size_entry", false, NULL},
	{"newarray_aligned", PREFIX_TC, "size_entry", false, NULL},
	{"new_aligned_nothrow", PREFIX_TC, "size_entry", false, NULL},
	{"newarray_aligned_nothrow", PREFIX_TC, "size_entry", false, NULL},
	{"malloc_skip_new_handler", PREFIX_TC, "size_entry", false, NULL},
	{"delete", PREFIX_TC, "free_entry", true, NULL},
	{"deletearray", PREFIX_TC, "free_entry", true, NULL},
	{"delete_nothrow", PREFIX_TC, "free_entry", true, NULL},
	{"deletearray_nothrow", PREFIX_TC, "free_entry", true, NULL},
	{"delete_sized", PREFIX_TC, "free_entry", true, NULL},
	{"deletearray_sized", PREFIX_TC, "free_entry", true, NULL},
	{"delete_aligned", PREFIX_TC, "free_entry", true, NULL},
	{"deletearray_aligned", PREFIX_TC, "free_entry", true, NULL},
	{"delete_sized_aligned", PREFIX_TC, "free_entry", true, NULL},
	{"deletearray_sized_aligned", PREFIX_TC, "free_entry", true, NULL},
	{"delete_aligned_nothrow", PREFIX_TC, "free_entry", true, NULL},
	{"deletearray_aligned_nothrow", PREFIX_TC, "free_entry", true, NULL},

	/* mimalloc's own API (its mi_heap_* functions are not traced). */
	{"zalloc", PREFIX_MI, "size_entry", false, NULL},
	{"mallocn", PREFIX_MI, "calloc_entry", false, NULL},
	{"reallocn", PREFIX_MI, "reallocarray_entry", false, NULL},
	{"malloc_aligned", PREFIX_MI, "size_entry", false, NULL},
	{"zalloc_aligned", PREFIX_MI, "size_entry", false, NULL},
	{"calloc_aligned", PREFIX_MI, "calloc_entry", false, NULL},
	{"realloc_aligned", PREFIX_MI, "realloc_entry", false, NULL},
	{"rezalloc", PREFIX_MI, "realloc_entry", false, NULL},
	{"recalloc", PREFIX_MI, "reallocarray_entry", false, NULL},
	{"new", PREFIX_MI, "size_entry", false, NULL},
	{"new_aligned", PREFIX_MI, "size_entry", false, NULL},
	{"new_nothrow", PREFIX_MI, "size_entry", false, NULL},
	{"new_aligned_nothrow", PREFIX_MI, "size_entry", false, NULL},
	{"new_n", PREFIX_MI, "calloc_entry", false, NULL},
	{"free_size", PREFIX_MI, "free_entry", true, NULL},
	{"free_aligned", PREFIX_MI, "free_entry", true, NULL},
	{"free_size_aligned", PREFIX_MI, "free_entry", true, NULL},
};
#define FUNCTION_COUNT (sizeof(functions) / sizeof(functions[0]))
#define PREFIX_COUNT (sizeof(prefixes) / sizeof(prefixes[0]))

/* Every name searched for, prefixes applied, in the order that decides aliases. */
static struct {
	const char *names[FUNCTION_COUNT * PREFIX_COUNT];
	const struct allocator_function *functions[FUNCTION_COUNT * PREFIX_COUNT];
	char storage[FUNCTION_COUNT * PREFIX_COUNT][64];
	size_t count;
} symbols;

static void list_symbols(void)
{
	size_t p, f;

	if (symbols.count)
		return;
	for (p = 0; p < PREFIX_COUNT; p++) {
		for (f = 0; f < FUNCTION_COUNT; f++) {
			if (!(functions[f].prefixes & prefixes[p].bit))
				continue;
			snprintf(symbols.storage[symbols.count], sizeof(symbols.storage[0]), "%s%s",
				 prefixes[p].text, functions[f].symbol);
			symbols.names[symbols.count] = symbols.storage[symbols.count];
			symbols.functions[symbols.count] = &functions[f];
			symbols.count++;
		}
	}
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

/* A process's own site by the path it is attached through; a set's by its file. */
static bool same_object(const struct allocator_sites *sites, const struct allocator_site *site,
			const char *object, const char *path, uint64_t inode)
{
	if (sites->shared_by_processes)
		return site->inode == inode && !strcmp(site->path, path);
	return !strcmp(site->object, object);
}

static struct allocator_site *find_site(const struct allocator_sites *sites, const char *object,
					const char *path, uint64_t inode, uint64_t offset)
{
	size_t i;

	for (i = 0; i < sites->count; i++) {
		if (sites->items[i].file_offset == offset &&
		    same_object(sites, &sites->items[i], object, path, inode))
			return &sites->items[i];
	}
	return NULL;
}

static struct allocator_site *add_site(struct allocator_sites *sites, size_t symbol,
				       const char *object, const char *path, uint64_t inode,
				       uint64_t offset)
{
	struct allocator_site *site;

	if (growable_array__reserve(&sites->items, &sites->capacity, sites->count, sizeof(*site)))
		return NULL;
	site = &sites->items[sites->count];
	memset(site, 0, sizeof(*site));
	site->object = strdup(object);
	site->path = strdup(path);
	if (!site->object || !site->path) {
		free(site->object);
		free(site->path);
		return NULL;
	}
	site->function = symbols.functions[symbol];
	site->name = site->function->display ? site->function->display : symbols.names[symbol];
	site->file_offset = offset;
	site->inode = inode;
	sites->count++;
	return site;
}

/*
 * Records that `path` was scanned where it is mapped at `start` (anywhere, in
 * sites shared by processes); false if it already was.
 */
static int note_scanned(struct allocator_sites *sites, const char *path, uint64_t start,
			uint64_t inode)
{
	struct scanned_mapping *mapping;
	size_t i;

	if (sites->shared_by_processes)
		start = 0;
	for (i = 0; i < sites->scanned_count; i++) {
		if (sites->scanned[i].start == start && sites->scanned[i].inode == inode &&
		    !strcmp(sites->scanned[i].path, path))
			return 0;
	}
	if (growable_array__reserve(&sites->scanned, &sites->scanned_capacity,
				    sites->scanned_count, sizeof(*mapping)))
		return -ENOMEM;
	mapping = &sites->scanned[sites->scanned_count];
	mapping->path = strdup(path);
	if (!mapping->path)
		return -ENOMEM;
	mapping->start = start;
	mapping->inode = inode;
	sites->scanned_count++;
	return 1;
}

struct scan {
	struct allocator_sites *sites;
	pid_t pid;
	const char *object;
};

/* Each executable file mapping: its ELF symbols, placed at the mapping's address. */
static int scan_mapping(const struct map_entry *entry, void *context)
{
	struct elf_function found[FUNCTION_COUNT * PREFIX_COUNT];
	struct scan *scan = context;
	uint64_t mapped_size = entry->end - entry->start;
	struct allocator_site *site;
	char object[PATH_MAX + 32], printable[PATH_MAX];
	int is_new, err;
	size_t i;

	if (!entry->executable || entry->path[0] != '/')
		return 0;
	if (scan->object && !object_matches(entry->path, scan->object))
		return 0;
	is_new = note_scanned(scan->sites, entry->path, entry->start, entry->inode);
	if (is_new <= 0)
		return is_new;
	/* A memfd is never on disk; libbcc finds it through the target's fds. */
	if (!map_entry__file_path(scan->pid, entry, object, sizeof(object)) &&
	    strncmp(entry->path, "/memfd:", strlen("/memfd:")))
		print_warning("%s, mapped by PID %d, is not at that path (deleted or replaced since, or a name with a newline): its allocators are traced, and its functions named, through %s, which goes with the process (if it exits before the report, its frames show as object+offset)",
			      untrusted_text__escape(entry->path, printable, sizeof(printable)),
			      (int)scan->pid, object);
	err = elf_find_functions(object, symbols.names, symbols.count, found);
	/* Not ELF (JIT code in a memfd), or unmapped since maps was read: nothing to trace. */
	if (err == -ENOEXEC || err == -ENOENT)
		return 0;
	if (err < 0)
		print_warning("cannot read %s of PID %d: %s: its allocators are not traced",
			      entry->path, (int)scan->pid, strerror(-err));
	if (err <= 0)
		return 0;
	for (i = 0; i < symbols.count; i++) {
		uint64_t offset = found[i].file_offset;

		if (!found[i].found || offset < entry->file_offset ||
		    offset - entry->file_offset >= mapped_size)
			continue;
		site = find_site(scan->sites, object, entry->path, entry->inode, offset);
		if (site && site->mapped)
			continue;	/* an alias of a function already named */
		if (!site)
			site = add_site(scan->sites, i, object, entry->path, entry->inode, offset);
		if (!site)
			return -ENOMEM;
		site->start = entry->start + offset - entry->file_offset;
		site->end = site->start + found[i].size;
		site->mapped = true;
	}
	return 0;
}

int allocator_sites__scan(struct allocator_sites *sites, pid_t pid, const char *object)
{
	struct scan scan = {.sites = sites, .pid = pid, .object = object};

	list_symbols();
	return proc_maps__foreach(pid, scan_mapping, &scan);
}

void allocator_sites__copy_placements(struct allocator_sites *sites,
				      const struct allocator_sites *attached)
{
	const struct allocator_site *same;
	size_t i;

	for (i = 0; i < sites->count; i++) {
		struct allocator_site *site = &sites->items[i];

		same = find_site(attached, site->object, site->path,
				 site->inode, site->file_offset);
		if (same)
			site->probe_offset = same->probe_offset;
	}
}

void allocator_sites__forget_mappings(struct allocator_sites *sites)
{
	size_t i;

	for (i = 0; i < sites->count; i++)
		sites->items[i].mapped = false;
	for (i = 0; i < sites->scanned_count; i++)
		free(sites->scanned[i].path);
	sites->scanned_count = 0;
}

bool allocator_sites__contains(const struct allocator_sites *sites, uint64_t address)
{
	size_t i;

	for (i = 0; i < sites->count; i++) {
		if (sites->items[i].mapped && address >= sites->items[i].start &&
		    address < sites->items[i].end)
			return true;
	}
	return false;
}

const char *allocator_sites__name_at(const struct allocator_sites *sites, uint64_t address)
{
	size_t i;

	for (i = 0; i < sites->count; i++) {
		const struct allocator_site *site = &sites->items[i];

		if (site->mapped &&
		    (site->start == address || site->start + site->probe_offset == address))
			return site->name;
	}
	return "[unknown allocator]";
}

void allocator_sites__free(struct allocator_sites *sites)
{
	size_t i;

	for (i = 0; i < sites->count; i++) {
		free(sites->items[i].object);
		free(sites->items[i].path);
		free(sites->items[i].placement);
	}
	for (i = 0; i < sites->scanned_count; i++)
		free(sites->scanned[i].path);
	free(sites->items);
	free(sites->scanned);
	memset(sites, 0, sizeof(*sites));
}

/* Chooses where the site's probes go; any failure leaves them at the entry. */
static void place_probe(struct allocator_site *site, const struct emulation *emulation)
{
	struct probe_placement placement;

	probe_placement__choose_in_file(emulation, site->object, site->file_offset,
					site->end - site->start, site->start,
					registers_read_by(site->function->entry_program), &placement);
	site->probe_offset = placement.offset;
	site->probe_kind = placement.kind;
	free(site->placement);
	site->placement = strdup(placement.reason);
}

static int attach_site(struct allocator_site *site, struct bcc_module *program,
		       struct uprobe_set *probes, pid_t pid, bool all_mode,
		       const struct emulation *emulation)
{
	const struct allocator_function *function = site->function;
	struct uprobe_site probe;
	int prog_fd, err;

	site->attached = true;
	place_probe(site, emulation);
	probe = (struct uprobe_site){.path = site->object,
				     .offset = site->file_offset + site->probe_offset,
				     .pid = pid, .kind = site->probe_kind, .function = site->name};
	/* -a counts at entry and ignores frees: nothing else to attach. */
	if (all_mode && function->is_free)
		return 0;
	prog_fd = bcc_module__load(program, function->entry_program, BPF_PROG_TYPE_KPROBE);
	if (prog_fd < 0)
		return prog_fd;
	err = uprobe_set__attach(probes, prog_fd, &probe);
	if (err || all_mode || function->is_free)
		return err;
	prog_fd = bcc_module__load(program, "alloc_return", BPF_PROG_TYPE_KPROBE);
	if (prog_fd < 0)
		return prog_fd;
	probe.at_return = true;
	return uprobe_set__attach(probes, prog_fd, &probe);
}

/*
 * -v: one line per object, naming its functions; frees are listed apart, since
 * -a leaves them unprobed.
 */
static void describe_object(const struct allocator_sites *sites, size_t first, size_t last,
			    bool all_mode)
{
	size_t i, allocations = 0, frees = 0;
	int pass;

	for (i = first; i < last; i++)
		sites->items[i].function->is_free ? frees++ : allocations++;
	/* The target chose the path it mapped: it is shown as data, like a symbol. */
	fprintf(stderr, "%s: ", program_name);
	untrusted_text__write(stderr, sites->items[first].path, NULL);
	fprintf(stderr, ": allocation functions probed on call%s (%zu):",
		all_mode ? "" : " and return", allocations);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			fprintf(stderr, "; frees %s (%zu):",
				all_mode ? "found, not probed with -a" : "probed on call", frees);
		for (i = first; i < last; i++) {
			if (sites->items[i].function->is_free == (pass == 1))
				fprintf(stderr, " %s", sites->items[i].name);
		}
	}
	fputc('\n', stderr);
	for (i = first; i < last; i++) {
		if (!all_mode || !sites->items[i].function->is_free)
			fprintf(stderr, "%s:   %s: %s\n", program_name, sites->items[i].name,
				sites->items[i].placement);
	}
}

int allocator_sites__attach_new(struct allocator_sites *sites, struct bcc_module *program,
				struct uprobe_set *probes, pid_t pid, bool all_mode,
				const struct emulation *emulation, bool verbose)
{
	size_t i, first = sites->count;
	int err;

	for (i = 0; i < sites->count; i++) {
		if (sites->items[i].attached)
			continue;
		if (first == sites->count)
			first = i;
		err = attach_site(&sites->items[i], program, probes, pid, all_mode, emulation);
		if (err)
			return err;
	}
	/* Sites are added object by object, so an object's new sites are adjacent. */
	for (i = first; verbose && i < sites->count;) {
		size_t end = i;

		while (end < sites->count && !strcmp(sites->items[end].object, sites->items[i].object))
			end++;
		describe_object(sites, i, end, all_mode);
		i = end;
	}
	return 0;
}

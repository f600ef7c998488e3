#include "process/symbolizer.h"

#include <bcc/bcc_syms.h>
#include <bcc/libbpf.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/growable_array.h"
#include "process/frame_origins.h"
#include "process/proc_maps.h"

/*
 * libbcc 0.26 closes some file descriptors twice: a symbol cache's modules
 * close, when the cache is refreshed or freed, descriptors they had already
 * closed while it was built. By then the numbers may belong to our uprobes'
 * perf events, which would silently vanish. So a cache is never refreshed
 * nor freed while tracing: a new one replaces it, and the old ones are freed
 * with the symbolizer, after the probes are gone.
 */
struct symbolizer {
	void *cache;
	void **retired;		/* caches replaced by refreshes */
	size_t retired_count;
	size_t retired_capacity;
	pid_t pid;
	char program[PATH_MAX];		/* the target's executable, as its maps name it */
	const struct frame_naming *naming;
	struct mapping *mappings;	/* of files and anonymous memory, in address order */
	size_t mapping_count;
	size_t mapping_capacity;
};

/* A mapping as the frames' sites need it. */
struct mapping {
	uint64_t start;
	uint64_t end;
	uint64_t file_offset;
	char *path;			/* as maps prints it; "" for anonymous memory */
	char *open_path;		/* where we read the file; NULL for anonymous memory */
};

int frame_naming__init(struct frame_naming *naming, bool lines, bool verbose)
{
	*naming = (struct frame_naming){
		.origins = frame_origins__new(),
		.objects = object_files__new(verbose),
		.lines = lines,
	};
	if (!naming->origins || !naming->objects) {
		frame_naming__free(naming);
		return -ENOMEM;
	}
	return 0;
}

void frame_naming__free(struct frame_naming *naming)
{
	frame_origins__free(naming->origins);
	object_files__free(naming->objects);
	*naming = (struct frame_naming){0};
}

/* The executable's path, to tell the program's frames from the libraries'. */
static void read_program(struct symbolizer *symbolizer)
{
	char link[64];
	ssize_t length;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)symbolizer->pid);
	length = readlink(link, symbolizer->program, sizeof(symbolizer->program) - 1);
	symbolizer->program[length > 0 ? length : 0] = '\0';
}

static void free_mappings(struct symbolizer *symbolizer)
{
	while (symbolizer->mapping_count) {
		struct mapping *mapping = &symbolizer->mappings[--symbolizer->mapping_count];

		free(mapping->path);
		free(mapping->open_path);
	}
}

/*
 * The path to read a mapped file at: its own when it is the mapped file (so
 * that libdw finds its .gnu_debuglink file beside it and under
 * /usr/lib/debug), else the one proc_maps gives (another mount namespace).
 */
static char *open_path_of(pid_t pid, const struct map_entry *entry)
{
	char path[PATH_MAX + 64];
	struct stat status;

	if (!stat(entry->path, &status) && status.st_ino == entry->inode)
		return strdup(entry->path);
	map_entry__file_path(pid, entry, path, sizeof(path));
	return strdup(path);
}

static int add_mapping(const struct map_entry *entry, void *context)
{
	struct symbolizer *symbolizer = context;
	struct mapping *mapping;

	if (growable_array__reserve(&symbolizer->mappings, &symbolizer->mapping_capacity,
				    symbolizer->mapping_count, sizeof(*symbolizer->mappings)))
		return -ENOMEM;
	mapping = &symbolizer->mappings[symbolizer->mapping_count];
	*mapping = (struct mapping){
		.start = entry->start, .end = entry->end, .file_offset = entry->file_offset,
		.path = strdup(entry->path),
		.open_path = entry->inode ? open_path_of(symbolizer->pid, entry) : NULL,
	};
	if (!mapping->path || (entry->inode && !mapping->open_path)) {
		free(mapping->path);
		free(mapping->open_path);
		return -ENOMEM;
	}
	symbolizer->mapping_count++;
	return 0;
}

static bool overlaps(const struct mapping *a, const struct mapping *b)
{
	return a->start < b->end && b->start < a->end;
}

static int by_start(const void *a, const void *b)
{
	const struct mapping *left = a, *right = b;

	return (left->start > right->start) - (left->start < right->start);
}

/*
 * The maps now, over what was read before: where the names of addresses no
 * symbol covers come from. A mapping gone since (a library unloaded, or a
 * process torn down by the Ctrl-C that ended the trace, whose maps empty as
 * it exits) still names the frames it held, unless something new took its
 * place.
 */
static void read_mappings(struct symbolizer *symbolizer)
{
	struct mapping *before = symbolizer->mappings;
	size_t before_count = symbolizer->mapping_count, now_count, i, j;

	symbolizer->mappings = NULL;
	symbolizer->mapping_count = symbolizer->mapping_capacity = 0;
	proc_maps__foreach(symbolizer->pid, add_mapping, symbolizer);
	now_count = symbolizer->mapping_count;
	for (i = 0; i < before_count; i++) {
		struct mapping *kept = &before[i];

		for (j = 0; j < now_count && !overlaps(kept, &symbolizer->mappings[j]); j++)
			;
		if (j == now_count &&
		    !growable_array__reserve(&symbolizer->mappings, &symbolizer->mapping_capacity,
					     symbolizer->mapping_count, sizeof(*symbolizer->mappings))) {
			symbolizer->mappings[symbolizer->mapping_count++] = *kept;
			continue;
		}
		free(kept->path);
		free(kept->open_path);
	}
	free(before);
	qsort(symbolizer->mappings, symbolizer->mapping_count, sizeof(*symbolizer->mappings),
	      by_start);
}

/* A process that has exited (a zombie's maps are empty) has no maps to read again. */
static bool has_maps(pid_t pid)
{
	char path[64];
	FILE *maps;
	bool has;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "re");
	if (!maps)
		return false;
	has = fgetc(maps) != EOF;
	fclose(maps);
	return has;
}

static const struct mapping *mapping_of(const struct symbolizer *symbolizer, uint64_t address)
{
	size_t low = 0, high = symbolizer->mapping_count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		const struct mapping *mapping = &symbolizer->mappings[middle];

		if (address < mapping->start)
			high = middle;
		else if (address >= mapping->end)
			low = middle + 1;
		else
			return mapping;
	}
	return NULL;
}

static struct bcc_symbol_option symbol_options = {
	.use_debug_file = 1,
	.check_debug_file_crc = 1,
	.lazy_symbolize = 1,
	.use_symbol_type = (1 << STT_FUNC) | (1 << STT_GNU_IFUNC),
};

struct symbolizer *symbolizer__new(pid_t pid, const struct frame_naming *naming)
{
	struct symbolizer *symbolizer = calloc(1, sizeof(*symbolizer));

	if (!symbolizer)
		return NULL;
	symbolizer->pid = pid;
	symbolizer->naming = naming;
	symbolizer->cache = bcc_symcache_new(pid, &symbol_options);
	if (!symbolizer->cache) {
		free(symbolizer);
		return NULL;
	}
	read_program(symbolizer);
	read_mappings(symbolizer);
	return symbolizer;
}

void symbolizer__free(struct symbolizer *symbolizer)
{
	if (!symbolizer)
		return;
	while (symbolizer->retired_count)
		bcc_free_symcache(symbolizer->retired[--symbolizer->retired_count], symbolizer->pid);
	free(symbolizer->retired);
	bcc_free_symcache(symbolizer->cache, symbolizer->pid);
	free_mappings(symbolizer);
	free(symbolizer->mappings);
	free(symbolizer);
}

void symbolizer__refresh(struct symbolizer *symbolizer)
{
	void *cache;

	/* Killed with the tool by the same Ctrl-C: what was read while it ran still names it. */
	if (!has_maps(symbolizer->pid))
		return;
	if (growable_array__reserve(&symbolizer->retired, &symbolizer->retired_capacity,
				    symbolizer->retired_count, sizeof(*symbolizer->retired)))
		return;
	cache = bcc_symcache_new(symbolizer->pid, &symbol_options);
	if (!cache)
		return;
	symbolizer->retired[symbolizer->retired_count++] = symbolizer->cache;
	symbolizer->cache = cache;
	read_program(symbolizer);	/* it may have exec'd */
	read_mappings(symbolizer);
}

/* The symbol's demangled name into `name`; false when no symbol covers `address`. */
static bool symbol_name(struct symbolizer *symbolizer, uint64_t address, char *name, size_t size)
{
	struct bcc_symbol symbol = {0};
	const char *found;

	if (bcc_symcache_resolve(symbolizer->cache, address, &symbol) != 0)
		return false;
	found = symbol.demangle_name ? symbol.demangle_name : symbol.name;
	if (found)
		snprintf(name, size, "%s", found);
	bcc_symbol_free_demangle_name(&symbol);
	return found != NULL;
}

/* `postgres+0x2a1b3c`: the object's name and the file offset, as perf and addr2line take them. */
static void object_offset_name(const struct mapping *mapping, uint64_t address, char *name,
			       size_t size)
{
	const char *base = strrchr(mapping->path, '/');

	base = base ? base + 1 : mapping->path;
	snprintf(name, size, "%s+0x%" PRIx64, *base ? base : "[anonymous]",
		 address - mapping->start + mapping->file_offset);
}

/* " file.c:88" after a name with --lines: the file's last part, as perf's srcline shows it. */
static void append_line(char *name, size_t size, const struct source_frame *source)
{
	const char *base;
	size_t length = strlen(name);

	if (!source->file || length >= size)
		return;
	base = strrchr(source->file, '/');
	snprintf(name + length, size - length, " %s:%u", base ? base + 1 : source->file,
		 source->line);
}

/* One name taken from `names`' store, and its origin and site recorded. */
static void add_name(struct frame_names *names, const struct frame_naming *naming,
		     enum frame_origin origin, const struct frame_site *site)
{
	const char *name = names->names[names->depth];

	names->frames[names->depth++] = name;
	frame_origins__set(naming->origins, name, origin);
	if (site)
		frame_origins__set_site(naming->origins, name, site);
}

/*
 * The frames of one address, outermost first: its function, then the calls
 * inlined into it, at most `room` names.
 */
static void name_address(struct symbolizer *symbolizer, uint64_t address, bool returns,
			 size_t room, struct frame_names *names)
{
	const struct frame_naming *naming = symbolizer->naming;
	const struct mapping *mapping = mapping_of(symbolizer, address);
	struct source_frame sources[MAX_SOURCE_FRAMES];
	struct object_file *object = NULL;
	struct frame_site site = {.address = address};
	enum frame_origin origin = ORIGIN_UNKNOWN;
	size_t source_count = 0, count, i;
	char *name = names->names[names->depth];
	char function[FRAME_NAME_SIZE];
	bool named = symbol_name(symbolizer, address, name, FRAME_NAME_SIZE);

	if (!mapping) {
		if (!named)
			snprintf(name, FRAME_NAME_SIZE, "%s", UNKNOWN_FRAME);
		add_name(names, naming, named ? ORIGIN_LIBRARY : ORIGIN_UNKNOWN, NULL);
		return;
	}
	site = (struct frame_site){
		.object = mapping->path,
		.address = address,
		.file_offset = address - mapping->start + mapping->file_offset,
		.map_start = mapping->start,
		.map_end = mapping->end,
		.map_file_offset = mapping->file_offset,
		.returns = returns,
	};
	if (mapping->open_path) {
		object = object_files__get(naming->objects, mapping->path, mapping->open_path);
		site.build_id = object_file__build_id(object);
		source_count = object_file__source_frames(object, site.file_offset - returns,
							  sources, MAX_SOURCE_FRAMES);
		origin = strcmp(mapping->path, symbolizer->program) ? ORIGIN_LIBRARY
								    : ORIGIN_PROGRAM;
	}
	if (!named) {
		const char *found = object_file__function(object, site.file_offset - returns);

		named = found != NULL;
		if (named)
			snprintf(name, FRAME_NAME_SIZE, "%s", found);
		else
			object_offset_name(mapping, address, name, FRAME_NAME_SIZE);
	}
	snprintf(function, sizeof(function), "%s", name);	/* before --lines adds to it */
	site.function = named ? function : NULL;
	count = source_count ?: 1;
	/* The outermost function (its name written above), then each inlined call, inwards. */
	for (i = count; i-- > 0 && room > 0; room--) {
		const struct source_frame *source = source_count ? &sources[i] : NULL;

		site.inlined = i + 1 < count;
		if (site.inlined) {
			name = names->names[names->depth];
			snprintf(name, FRAME_NAME_SIZE, "%s%s", source->function ?: "??",
				 INLINED_MARK);
			site.function = source->function;
		}
		site.source_file = source ? source->file : NULL;
		site.line = source ? source->line : 0;
		if (naming->lines && source)
			append_line(name, FRAME_NAME_SIZE, source);
		add_name(names, naming, origin, &site);
	}
}

size_t stack_map__read(int map_fd, uint64_t stack, uint64_t addresses[MAX_STACK_DEPTH])
{
	struct user_stack frames;
	size_t depth = 0;

	if (stack == MISSED_STACK || bpf_lookup_elem(map_fd, &stack, &frames) != 0)
		return 0;
	while (depth < MAX_STACK_DEPTH && frames.ips[depth]) {
		addresses[depth] = frames.ips[depth];
		depth++;
	}
	return depth;
}

void symbolizer__name_stack(struct symbolizer *symbolizer, const uint64_t *addresses,
			    size_t depth, bool leaf_returns, struct frame_names *names)
{
	size_t i;

	names->depth = 0;
	for (i = depth; i-- > 0;) {
		if (!symbolizer) {
			names->frames[names->depth++] = UNKNOWN_FRAME;
			continue;
		}
		/* Each address after this one keeps a name, whatever was inlined. */
		name_address(symbolizer, addresses[i], i > 0 || leaf_returns,
			     MAX_NAMED_FRAMES - names->depth - i, names);
	}
}

void frame_names__mark_missed(struct frame_names *names)
{
	memmove(names->frames + 1, names->frames, names->depth * sizeof(*names->frames));
	names->frames[0] = MISSED_STACK_FRAME;
	names->depth++;
}

void frame_names__append(struct frame_names *names, const char *frame)
{
	names->frames[names->depth++] = frame;
}

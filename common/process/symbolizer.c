#include "process/symbolizer.h"

#include <bcc/bcc_syms.h>
#include <bcc/libbpf.h>
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process/frame_origins.h"
#include "base/growable_array.h"

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
	struct frame_origins *origins;
	bool owns_origins;	/* not shared with the symbolizers of other processes */
};

/* The executable's path, to tell the program's frames from the libraries'. */
static void read_program(struct symbolizer *symbolizer)
{
	char link[64];
	ssize_t length;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)symbolizer->pid);
	length = readlink(link, symbolizer->program, sizeof(symbolizer->program) - 1);
	symbolizer->program[length > 0 ? length : 0] = '\0';
}

static struct bcc_symbol_option symbol_options = {
	.use_debug_file = 1,
	.check_debug_file_crc = 1,
	.lazy_symbolize = 1,
	.use_symbol_type = (1 << STT_FUNC) | (1 << STT_GNU_IFUNC),
};

struct symbolizer *symbolizer__new(pid_t pid, struct frame_origins *shared_origins)
{
	struct symbolizer *symbolizer = calloc(1, sizeof(*symbolizer));

	if (!symbolizer)
		return NULL;
	symbolizer->pid = pid;
	symbolizer->owns_origins = !shared_origins;
	symbolizer->origins = shared_origins ?: frame_origins__new();
	symbolizer->cache = bcc_symcache_new(pid, &symbol_options);
	if (!symbolizer->cache || !symbolizer->origins) {
		if (symbolizer->cache)
			bcc_free_symcache(symbolizer->cache, pid);
		if (symbolizer->owns_origins)
			frame_origins__free(symbolizer->origins);
		free(symbolizer);
		return NULL;
	}
	read_program(symbolizer);
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
	if (symbolizer->owns_origins)
		frame_origins__free(symbolizer->origins);
	free(symbolizer);
}

void symbolizer__refresh(struct symbolizer *symbolizer)
{
	void *cache;

	if (growable_array__reserve(&symbolizer->retired, &symbolizer->retired_capacity,
				    symbolizer->retired_count, sizeof(*symbolizer->retired)))
		return;
	cache = bcc_symcache_new(symbolizer->pid, &symbol_options);
	if (!cache)
		return;
	symbolizer->retired[symbolizer->retired_count++] = symbolizer->cache;
	symbolizer->cache = cache;
	read_program(symbolizer);	/* it may have exec'd */
}

const char *symbolizer__name(struct symbolizer *symbolizer, uint64_t address, char *name,
			     size_t size)
{
	struct bcc_symbol symbol = {0};
	const char *found;

	if (!symbolizer || bcc_symcache_resolve(symbolizer->cache, address, &symbol) != 0) {
		snprintf(name, size, "%s", UNKNOWN_FRAME);
		return name;
	}
	found = symbol.demangle_name ? symbol.demangle_name : symbol.name;
	snprintf(name, size, "%s", found ? found : UNKNOWN_FRAME);
	if (found && symbol.module)
		frame_origins__set(symbolizer->origins, name,
				   strcmp(symbol.module, symbolizer->program) ? ORIGIN_LIBRARY
									       : ORIGIN_PROGRAM);
	bcc_symbol_free_demangle_name(&symbol);
	return name;
}

struct frame_origins *symbolizer__origins(struct symbolizer *symbolizer)
{
	return symbolizer ? symbolizer->origins : NULL;
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
			    size_t depth, struct frame_names *names)
{
	size_t i;

	names->depth = 0;
	for (i = depth; i-- > 0;)
		names->frames[names->depth++] =
			symbolizer__name(symbolizer, addresses[i], names->names[i], FRAME_NAME_SIZE);
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

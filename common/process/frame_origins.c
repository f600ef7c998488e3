#include "process/frame_origins.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing, FNV-1a: a report has thousands of names, not millions. */
struct entry {
	char *name;
	enum frame_origin origin;
	struct frame_site *site;	/* its strings owned with it; NULL until set */
};

struct frame_origins {
	struct entry *entries;
	size_t capacity;	/* a power of two */
	size_t count;
};

static uint64_t hash_name(const char *name)
{
	uint64_t hash = 14695981039346656037ULL;

	for (; *name; name++)
		hash = (hash ^ (unsigned char)*name) * 1099511628211ULL;
	return hash;
}

static struct entry *slot(struct entry *entries, size_t capacity, const char *name)
{
	size_t i = hash_name(name) & (capacity - 1);

	while (entries[i].name && strcmp(entries[i].name, name))
		i = (i + 1) & (capacity - 1);
	return &entries[i];
}

struct frame_origins *frame_origins__new(void)
{
	struct frame_origins *origins = calloc(1, sizeof(*origins));

	if (!origins)
		return NULL;
	origins->capacity = 1024;
	origins->entries = calloc(origins->capacity, sizeof(*origins->entries));
	if (!origins->entries) {
		free(origins);
		return NULL;
	}
	return origins;
}

void frame_origins__free(struct frame_origins *origins)
{
	size_t i;

	if (!origins)
		return;
	for (i = 0; i < origins->capacity; i++) {
		free(origins->entries[i].name);
		free(origins->entries[i].site);
	}
	free(origins->entries);
	free(origins);
}

/* Doubles the table once it is half full, so that probing stays short. */
static int grow(struct frame_origins *origins)
{
	size_t capacity = origins->capacity * 2, i;
	struct entry *entries = calloc(capacity, sizeof(*entries));

	if (!entries)
		return -ENOMEM;
	for (i = 0; i < origins->capacity; i++) {
		if (origins->entries[i].name)
			*slot(entries, capacity, origins->entries[i].name) = origins->entries[i];
	}
	free(origins->entries);
	origins->entries = entries;
	origins->capacity = capacity;
	return 0;
}

/* The entry of `name`, added (of unknown origin) when new; NULL when out of memory. */
static struct entry *entry_of(struct frame_origins *origins, const char *name)
{
	struct entry *entry;

	if (origins->count * 2 >= origins->capacity && grow(origins))
		return NULL;
	entry = slot(origins->entries, origins->capacity, name);
	if (!entry->name) {
		entry->name = strdup(name);
		if (!entry->name)
			return NULL;
		origins->count++;
	}
	return entry;
}

int frame_origins__set(struct frame_origins *origins, const char *name, enum frame_origin origin)
{
	struct entry *entry = entry_of(origins, name);

	if (!entry)
		return -ENOMEM;
	if (entry->origin != ORIGIN_ALLOCATOR)
		entry->origin = origin;
	return 0;
}

static size_t text_size(const char *text)
{
	return text ? strlen(text) + 1 : 0;
}

/* Copies `text` to `*place`, moving it on; NULL stays NULL. */
static const char *copy_text(const char *text, char **place)
{
	char *copy = *place;

	if (!text)
		return NULL;
	*place = stpcpy(copy, text) + 1;
	return copy;
}

/* One allocation holding the site and its strings, freed as one. */
static struct frame_site *copy_site(const struct frame_site *site)
{
	struct frame_site *copy = malloc(sizeof(*copy) + text_size(site->object) +
					 text_size(site->build_id) + text_size(site->function) +
					 text_size(site->source_file));
	char *strings = (char *)(copy + 1);

	if (!copy)
		return NULL;
	*copy = *site;
	copy->object = copy_text(site->object, &strings);
	copy->build_id = copy_text(site->build_id, &strings);
	copy->function = copy_text(site->function, &strings);
	copy->source_file = copy_text(site->source_file, &strings);
	return copy;
}

static bool same_line(const struct frame_site *left, const struct frame_site *right)
{
	if (!left->source_file || !right->source_file)
		return left->source_file == right->source_file;
	return left->line == right->line && !strcmp(left->source_file, right->source_file);
}

int frame_origins__set_site(struct frame_origins *origins, const char *name,
			    const struct frame_site *site)
{
	struct entry *entry = entry_of(origins, name);

	if (!entry)
		return -ENOMEM;
	if (!entry->site) {
		entry->site = copy_site(site);
		return entry->site ? 0 : -ENOMEM;
	}
	if (!same_line(entry->site, site)) {
		entry->site->source_file = NULL;
		entry->site->line = 0;
	}
	return 0;
}

const struct frame_site *frame_origins__site(const struct frame_origins *origins,
					     const char *name)
{
	if (!origins)
		return NULL;
	return slot(origins->entries, origins->capacity, name)->site;
}

enum frame_origin frame_origins__get(const struct frame_origins *origins, const char *name)
{
	if (!origins)
		return ORIGIN_UNKNOWN;
	return slot(origins->entries, origins->capacity, name)->origin;
}

const char *frame_origin_name(enum frame_origin origin)
{
	switch (origin) {
	case ORIGIN_PROGRAM:
		return "program";
	case ORIGIN_LIBRARY:
		return "library";
	case ORIGIN_ALLOCATOR:
		return "allocator";
	default:
		return "unknown";
	}
}

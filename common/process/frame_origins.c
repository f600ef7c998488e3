#include "process/frame_origins.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing, FNV-1a: a report has thousands of names, not millions. */
struct entry {
	char *name;
	enum frame_origin origin;
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
	for (i = 0; i < origins->capacity; i++)
		free(origins->entries[i].name);
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

int frame_origins__set(struct frame_origins *origins, const char *name, enum frame_origin origin)
{
	struct entry *entry;

	if (origins->count * 2 >= origins->capacity && grow(origins))
		return -ENOMEM;
	entry = slot(origins->entries, origins->capacity, name);
	if (!entry->name) {
		entry->name = strdup(name);
		if (!entry->name)
			return -ENOMEM;
		origins->count++;
	} else if (entry->origin == ORIGIN_ALLOCATOR) {
		return 0;
	}
	entry->origin = origin;
	return 0;
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

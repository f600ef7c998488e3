#include "process/frame_origins.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/growable_array.h"
#include "base/key_table.h"

/* What is known of one name: kept by the name's number in `names`. */
struct entry {
	enum frame_origin origin;
	struct frame_site *site;	/* its strings owned with it; NULL until set */
};

struct frame_origins {
	struct key_table *names;	/* a report has thousands of names, not millions */
	struct entry *entries;
	size_t capacity;
};

struct frame_origins *frame_origins__new(void)
{
	struct frame_origins *origins = calloc(1, sizeof(*origins));

	if (!origins)
		return NULL;
	origins->names = key_table__new();
	if (!origins->names) {
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
	for (i = 0; i < key_table__count(origins->names); i++)
		free(origins->entries[i].site);
	key_table__free(origins->names);
	free(origins->entries);
	free(origins);
}

/* The entry of `name`, added (of unknown origin) when new; NULL when out of memory. */
static struct entry *entry_of(struct frame_origins *origins, const char *name)
{
	size_t had = origins->capacity;
	long number;

	/* Room first, so that a name numbered always has its entry. */
	if (growable_array__reserve(&origins->entries, &origins->capacity,
				    key_table__count(origins->names), sizeof(*origins->entries)))
		return NULL;
	memset(&origins->entries[had], 0, (origins->capacity - had) * sizeof(*origins->entries));
	number = key_table__string(origins->names, name);
	return number < 0 ? NULL : &origins->entries[number];
}

/* The entry of `name`, or NULL when it was never named. */
static const struct entry *found_entry(const struct frame_origins *origins, const char *name)
{
	long number = origins ? key_table__find(origins->names, name) : -1;

	return number < 0 ? NULL : &origins->entries[number];
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
	const struct entry *entry = found_entry(origins, name);

	return entry ? entry->site : NULL;
}

enum frame_origin frame_origins__get(const struct frame_origins *origins, const char *name)
{
	const struct entry *entry = found_entry(origins, name);

	return entry ? entry->origin : ORIGIN_UNKNOWN;
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

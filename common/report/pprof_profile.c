#include "report/pprof_profile.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/growable_array.h"
#include "base/key_table.h"
#include "process/symbolizer.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* The most lines a location has: a function and the calls inlined into it. */
#define MAX_LOCATION_LINES MAX_NAMED_FRAMES

/* The most labels a sample carries: pid, comm, class. */
#define MAX_LABELS 3

/* A mapping's symbolic information, as its locations show it: each is true only if all do. */
struct mapping_facts {
	bool functions;
	bool filenames;
	bool line_numbers;
};

/*
 * The profile as it is built. Messages are numbered by the key tables (ids
 * are numbers + 1), kept in arrays that move as they grow, and pointed to
 * only once all are made.
 */
struct builder {
	struct key_table *strings;
	struct key_table *function_keys;
	struct key_table *location_keys;
	struct key_table *mapping_keys;
	Function *functions;
	size_t functions_capacity;
	Location *locations;
	size_t location_count;		/* made so far: a failure may leave a key without one */
	size_t locations_capacity;
	Mapping *mappings;
	struct mapping_facts *facts;
	size_t mappings_capacity;
	size_t facts_capacity;
	Sample *samples;
	size_t sample_count;
	size_t samples_capacity;
};

static long string_of(struct builder *builder, const char *text)
{
	return text ? key_table__string(builder->strings, text) : 0;
}

/* The mapping holding `site`'s code, added when new: its number, or -ENOMEM. */
static long mapping_of(struct builder *builder, const struct frame_site *site)
{
	long filename = string_of(builder, site->object);
	long build_id = string_of(builder, site->build_id);
	uint64_t key[5] = {filename, build_id, site->map_start, site->map_end,
			   site->map_file_offset};
	int added;
	long number;

	if (filename < 0 || build_id < 0)
		return -ENOMEM;
	number = key_table__number(builder->mapping_keys, key, sizeof(key), &added);
	if (number < 0 || !added)
		return number;
	if (growable_array__reserve(&builder->mappings, &builder->mappings_capacity, number,
				    sizeof(*builder->mappings)) ||
	    growable_array__reserve(&builder->facts, &builder->facts_capacity, number,
				    sizeof(*builder->facts)))
		return -ENOMEM;
	builder->mappings[number] = (Mapping)PERFTOOLS__PROFILES__MAPPING__INIT;
	builder->mappings[number].id = number + 1;
	builder->mappings[number].memory_start = site->map_start;
	builder->mappings[number].memory_limit = site->map_end;
	builder->mappings[number].file_offset = site->map_file_offset;
	builder->mappings[number].filename = filename;
	builder->mappings[number].build_id = build_id;
	builder->facts[number] = (struct mapping_facts){true, true, true};
	return number;
}

/*
 * The function of the frame `name`: the site's own function where a symbol
 * named it (not the name shown, which may carry " (inlined)" or a line),
 * else the name shown, such as "[unknown]" or "postgres+0x2a1b3c".
 */
static long function_of(struct builder *builder, const char *name, const struct frame_site *site)
{
	long function_name = string_of(builder, site && site->function ? site->function : name);
	long filename = string_of(builder, site ? site->source_file : NULL);
	long key[2] = {function_name, filename};
	int added;
	long number;

	if (function_name < 0 || filename < 0)
		return -ENOMEM;
	number = key_table__number(builder->function_keys, key, sizeof(key), &added);
	if (number < 0 || !added)
		return number;
	if (growable_array__reserve(&builder->functions, &builder->functions_capacity, number,
				    sizeof(*builder->functions)))
		return -ENOMEM;
	builder->functions[number] = (Function)PERFTOOLS__PROFILES__FUNCTION__INIT;
	builder->functions[number].id = number + 1;
	builder->functions[number].name = function_name;
	builder->functions[number].system_name = function_name;
	builder->functions[number].filename = filename;
	return number;
}

/*
 * Makes a new location of `frames[0..count)`, innermost first, the last the
 * function the others were inlined into, whose site places it. 0 or -ENOMEM.
 */
static int add_location(struct builder *builder, long number, const char *const *frames,
			size_t count, const struct frame_origins *origins)
{
	const struct frame_site *outer = frame_origins__site(origins, frames[count - 1]);
	Location *location;
	long mapping = -1, function;
	size_t i;

	if (growable_array__reserve(&builder->locations, &builder->locations_capacity, number,
				    sizeof(*builder->locations)))
		return -ENOMEM;
	/* The object and the place in it are those of the outermost function's frame. */
	if (outer && outer->object) {
		mapping = mapping_of(builder, outer);
		if (mapping < 0)
			return -ENOMEM;
	}
	location = &builder->locations[number];
	*location = (Location)PERFTOOLS__PROFILES__LOCATION__INIT;
	builder->location_count = number + 1;
	location->id = number + 1;
	location->line = calloc(count, sizeof(*location->line));
	if (!location->line)
		return -ENOMEM;
	if (mapping >= 0) {
		location->mapping_id = mapping + 1;
		/* A return address, less one: the call, whose line a symbolizer should give. */
		location->address = outer->address - outer->returns;
	}
	for (i = 0; i < count; i++) {
		const struct frame_site *site = frame_origins__site(origins, frames[i]);
		Line *line = malloc(sizeof(*line));

		function = function_of(builder, frames[i], site);
		if (!line || function < 0) {
			free(line);
			return -ENOMEM;
		}
		*line = (Line)PERFTOOLS__PROFILES__LINE__INIT;
		line->function_id = function + 1;
		line->line = site ? site->line : 0;
		location->line[location->n_line++] = line;
		if (mapping >= 0) {
			struct mapping_facts *facts = &builder->facts[mapping];

			facts->functions &= site && site->function;
			facts->filenames &= site && site->source_file;
			facts->line_numbers &= site && site->line;
		}
	}
	return 0;
}

/*
 * The location of the frames `frames[0..count)` (root first: the outermost
 * function, then the calls inlined into it), added when new: its id, or
 * -ENOMEM.
 */
static long location_of(struct builder *builder, const char *const *frames, size_t count,
			const struct frame_origins *origins)
{
	const char *innermost_first[MAX_LOCATION_LINES];
	long key[MAX_LOCATION_LINES];
	size_t i;
	long number;
	int added;

	for (i = 0; i < count; i++) {
		innermost_first[i] = frames[count - 1 - i];
		key[i] = string_of(builder, innermost_first[i]);
		if (key[i] < 0)
			return -ENOMEM;
	}
	number = key_table__number(builder->location_keys, key, count * sizeof(*key), &added);
	if (number >= 0 && added && add_location(builder, number, innermost_first, count, origins))
		return -ENOMEM;
	return number < 0 ? number : number + 1;
}

static bool inlined(const struct frame_origins *origins, const char *frame)
{
	const struct frame_site *site = frame_origins__site(origins, frame);

	return site && site->inlined;
}

/* The labels of a stack: its process, and its class under -i. */
static int add_labels(struct builder *builder, Sample *sample, const struct stack_entry *entry,
		      const struct pprof_description *description)
{
	const struct stack_owner *owner = entry->owner ? entry->owner : description->process;
	Label *labels = calloc(MAX_LABELS, sizeof(*labels));
	size_t count = 0;

	sample->label = calloc(MAX_LABELS, sizeof(*sample->label));
	if (!labels || !sample->label) {
		free(labels);
		return -ENOMEM;
	}
	if (owner) {
		labels[count] = (Label)PERFTOOLS__PROFILES__LABEL__INIT;
		labels[count].key = string_of(builder, "pid");
		labels[count++].num = owner->pid;
		labels[count] = (Label)PERFTOOLS__PROFILES__LABEL__INIT;
		labels[count].key = string_of(builder, "comm");
		labels[count++].str = string_of(builder, owner->comm);
	}
	if (entry->series && entry->series->class_name) {
		labels[count] = (Label)PERFTOOLS__PROFILES__LABEL__INIT;
		labels[count].key = string_of(builder, "class");
		labels[count++].str = string_of(builder, entry->series->class_name);
	}
	for (size_t i = 0; i < MAX_LABELS; i++) {
		sample->label[i] = &labels[i];
		if (labels[i].key < 0 || labels[i].str < 0)
			return -ENOMEM;	/* the sample frees them: they are in place */
	}
	sample->n_label = count;
	return 0;
}

static int64_t sample_value(const struct stack_entry *entry, const struct pprof_sample_type *type)
{
	uint64_t figure = type->from_count ? entry->count : entry->value;

	/* pprof's values are signed: a figure beyond them is shown as the largest. */
	if (type->scale && figure > INT64_MAX / type->scale)
		return INT64_MAX;
	return (int64_t)(figure * (type->scale ? type->scale : 1));
}

/* One sample of the stack `entry`, its locations leaf first. 0 or -ENOMEM. */
static int add_sample(struct builder *builder, const struct stack_entry *entry,
		      const struct frame_origins *origins,
		      const struct pprof_description *description)
{
	const char *const *frames = (const char *const *)entry->frames;
	Sample *sample;
	size_t end = entry->depth, start, i;
	long id;

	if (growable_array__reserve(&builder->samples, &builder->samples_capacity,
				    builder->sample_count, sizeof(*builder->samples)))
		return -ENOMEM;
	sample = &builder->samples[builder->sample_count++];
	*sample = (Sample)PERFTOOLS__PROFILES__SAMPLE__INIT;
	sample->location_id = calloc(entry->depth ? entry->depth : 1, sizeof(*sample->location_id));
	sample->value = calloc(description->kind->type_count, sizeof(*sample->value));
	if (!sample->location_id || !sample->value)
		return -ENOMEM;
	/* From the leaf: inlined frames go with the frame rootward they were inlined into. */
	while (end > 0) {
		start = end - 1;
		while (start > 0 && inlined(origins, frames[start]) && end - start < MAX_LOCATION_LINES)
			start--;
		id = location_of(builder, frames + start, end - start, origins);
		if (id < 0)
			return -ENOMEM;
		sample->location_id[sample->n_location_id++] = id;
		end = start;
	}
	for (i = 0; i < description->kind->type_count; i++)
		sample->value[i] = sample_value(entry, &description->kind->types[i]);
	sample->n_value = description->kind->type_count;
	return add_labels(builder, sample, entry, description);
}

static void builder__free(struct builder *builder)
{
	size_t i, j;

	for (i = 0; i < builder->sample_count; i++) {
		free(builder->samples[i].location_id);
		free(builder->samples[i].value);
		if (builder->samples[i].label)
			free(builder->samples[i].label[0]);
		free(builder->samples[i].label);
	}
	for (i = 0; i < builder->location_count; i++) {
		for (j = 0; j < builder->locations[i].n_line; j++)
			free(builder->locations[i].line[j]);
		free(builder->locations[i].line);
	}
	free(builder->samples);
	free(builder->locations);
	free(builder->functions);
	free(builder->mappings);
	free(builder->facts);
	key_table__free(builder->strings);
	key_table__free(builder->function_keys);
	key_table__free(builder->location_keys);
	key_table__free(builder->mapping_keys);
}

/* An array of pointers to each of `count` messages of `size` bytes at `items`; NULL when out of memory. */
static void *pointers_to(void *items, size_t count, size_t size)
{
	void **pointers = calloc(count ? count : 1, sizeof(*pointers));
	size_t i;

	for (i = 0; pointers && i < count; i++)
		pointers[i] = (char *)items + i * size;
	return pointers;
}

/* `length` bytes at `data`, gzip-compressed, to `out`. 0, -ENOMEM or -EIO. */
static int write_gzip(FILE *out, const uint8_t *data, size_t length)
{
	z_stream stream = {0};
	unsigned char chunk[65536];
	size_t produced;
	int status;

	/* 15 bits of window, plus 16: a gzip header and trailer, as pprof reads. */
	if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	stream.next_in = (Bytef *)data;
	stream.avail_in = length;
	do {
		stream.next_out = chunk;
		stream.avail_out = sizeof(chunk);
		status = deflate(&stream, Z_FINISH);
		produced = sizeof(chunk) - stream.avail_out;
		if (produced && fwrite(chunk, 1, produced, out) != produced)
			status = Z_ERRNO;
	} while (status == Z_OK);
	deflateEnd(&stream);
	return status == Z_STREAM_END ? 0 : -EIO;
}

/* The profile's own fields around what the builder made, packed and written. */
static int pack(struct builder *builder, const struct pprof_description *description, FILE *out)
{
	Profile profile = PERFTOOLS__PROFILES__PROFILE__INIT;
	const struct pprof_kind *kind = description->kind;
	ValueType types[PPROF_MAX_TYPES], period = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	ValueType *type_pointers[PPROF_MAX_TYPES];
	int64_t comment = string_of(builder, description->comment);
	size_t i, strings;
	uint8_t *packed = NULL;
	size_t packed_size;
	int err = -ENOMEM;

	for (i = 0; i < kind->type_count && i < PPROF_MAX_TYPES; i++) {
		types[i] = (ValueType)PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
		types[i].type = string_of(builder, kind->types[i].type);
		types[i].unit = string_of(builder, kind->types[i].unit);
		type_pointers[i] = &types[i];
	}
	profile.n_sample_type = i;
	profile.sample_type = type_pointers;
	profile.default_sample_type = string_of(builder, kind->types[kind->default_type].type);
	period.type = string_of(builder, kind->period_type);
	period.unit = string_of(builder, kind->period_unit);
	profile.period_type = &period;
	profile.period = 1;
	profile.time_nanos = description->time_ns;
	profile.duration_nanos = description->duration_ns;
	if (description->comment) {
		profile.comment = &comment;
		profile.n_comment = 1;
	}
	/* Every string is in by now: the table is complete. */
	strings = key_table__count(builder->strings);
	profile.n_string_table = strings;
	profile.string_table = calloc(strings, sizeof(*profile.string_table));
	profile.n_sample = builder->sample_count;
	profile.sample = pointers_to(builder->samples, builder->sample_count, sizeof(Sample));
	profile.n_location = key_table__count(builder->location_keys);
	profile.location = pointers_to(builder->locations, profile.n_location, sizeof(Location));
	profile.n_function = key_table__count(builder->function_keys);
	profile.function = pointers_to(builder->functions, profile.n_function, sizeof(Function));
	profile.n_mapping = key_table__count(builder->mapping_keys);
	profile.mapping = pointers_to(builder->mappings, profile.n_mapping, sizeof(Mapping));
	for (i = 0; i < profile.n_mapping; i++) {
		builder->mappings[i].has_functions = builder->facts[i].functions;
		builder->mappings[i].has_filenames = builder->facts[i].filenames;
		builder->mappings[i].has_line_numbers = builder->facts[i].line_numbers;
		/* Inlined calls were looked for wherever DWARF gave lines. */
		builder->mappings[i].has_inline_frames = builder->facts[i].line_numbers;
	}
	if (comment < 0 || !profile.string_table || !profile.sample || !profile.location ||
	    !profile.function || !profile.mapping)
		goto out;
	for (i = 0; i < strings; i++)
		profile.string_table[i] = (char *)key_table__key(builder->strings, i);
	packed_size = perftools__profiles__profile__get_packed_size(&profile);
	packed = malloc(packed_size ? packed_size : 1);
	if (!packed)
		goto out;
	perftools__profiles__profile__pack(&profile, packed);
	err = write_gzip(out, packed, packed_size);
out:
	free(packed);
	free(profile.string_table);
	free(profile.sample);
	free(profile.location);
	free(profile.function);
	free(profile.mapping);
	return err;
}

/* pprof takes the first mapping for the main binary's: the program's are added first. */
static int add_program_mappings(struct builder *builder, const struct stack_report *report,
				const struct frame_origins *origins)
{
	const struct stack_entry *entry;
	const struct frame_site *site;
	size_t i, j;

	for (i = 0; i < stack_report__length(report); i++) {
		entry = stack_report__entry(report, i);
		for (j = 0; j < entry->depth; j++) {
			site = frame_origins__site(origins, entry->frames[j]);
			if (site && site->object &&
			    frame_origins__get(origins, entry->frames[j]) == ORIGIN_PROGRAM &&
			    mapping_of(builder, site) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int pprof_profile__write(FILE *out, const struct stack_report *report,
			 const struct frame_origins *origins,
			 const struct pprof_description *description)
{
	struct builder builder = {
		.strings = key_table__new(),
		.function_keys = key_table__new(),
		.location_keys = key_table__new(),
		.mapping_keys = key_table__new(),
	};
	size_t i;
	int err = -ENOMEM;

	if (!builder.strings || !builder.function_keys || !builder.location_keys ||
	    !builder.mapping_keys || string_of(&builder, "") != 0)
		goto out;
	err = add_program_mappings(&builder, report, origins);
	for (i = 0; i < stack_report__length(report) && !err; i++)
		err = add_sample(&builder, stack_report__entry(report, i), origins, description);
	if (!err)
		err = pack(&builder, description, out);
out:
	builder__free(&builder);
	return err;
}

#include "report/saved_report.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errors.h"
#include "report/untrusted_text.h"

/* Our JSON nests five deep (report, stacks, stack, sites, site): room, not a stack's worth. */
#define MAX_NESTING 16

/* Where a reason goes while a report is checked. */
struct checker {
	char *why;
	size_t why_size;
};

static bool refuse(struct checker *checker, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static bool refuse(struct checker *checker, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vsnprintf(checker->why, checker->why_size, format, args);
	va_end(args);
	return false;
}

static const char *type_name(struct json_object *value)
{
	switch (json_object_get_type(value)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "true or false";
	case json_type_double:
		return "a fraction";
	case json_type_int:
		return "a whole number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "unknown";
}

/* A figure: a whole number from 0 to SAVED_MAX_VALUE. `where` names it. */
static bool read_figure(struct checker *checker, struct json_object *value, const char *where,
			uint64_t *figure)
{
	int64_t number;

	if (!json_object_is_type(value, json_type_int))
		return refuse(checker, "%s is %s, not a whole number", where, type_name(value));
	number = json_object_get_int64(value);
	if (number < 0)
		return refuse(checker, "%s is negative (%lld)", where, (long long)number);
	/* json-c saturates what does not fit in 64 bits: that is past the bound too. */
	if ((uint64_t)number > SAVED_MAX_VALUE)
		return refuse(checker, "%s is %llu, more than any trace can count", where,
			      (unsigned long long)number);
	*figure = (uint64_t)number;
	return true;
}

/* A string without NUL (C code reads it to its first) and at most SAVED_MAX_NAME bytes. */
static bool read_string(struct checker *checker, struct json_object *value, const char *where,
			const char **text)
{
	size_t length;

	if (!json_object_is_type(value, json_type_string))
		return refuse(checker, "%s is %s, not a string", where, type_name(value));
	*text = json_object_get_string(value);
	length = (size_t)json_object_get_string_len(value);
	if (strlen(*text) != length)
		return refuse(checker, "%s holds a NUL character", where);
	if (length > SAVED_MAX_NAME)
		return refuse(checker, "%s is %zu bytes long, more than a name has", where, length);
	return true;
}

/* The member `key` of `object`, which must be there (`needed`) or may be missing. */
static bool member(struct checker *checker, struct json_object *object, const char *where,
		   const char *key, bool needed, struct json_object **value)
{
	bool present;

	*value = NULL;
	present = json_object_object_get_ex(object, key, value);
	if (*value || !needed)
		return true;
	if (present)
		return refuse(checker, "%s%s%s is null", where, *where ? "." : "", key);
	if (*where)
		return refuse(checker, "%s has no \"%s\"", where, key);
	return refuse(checker, "\"%s\" is missing", key);
}

static bool array_of(struct checker *checker, struct json_object *value, const char *where,
		     size_t max, size_t *length)
{
	if (!json_object_is_type(value, json_type_array))
		return refuse(checker, "%s is %s, not an array", where, type_name(value));
	*length = json_object_array_length(value);
	if (*length > max)
		return refuse(checker, "%s has %zu items, more than a report holds (%zu)", where,
			      *length, max);
	return true;
}

static const struct saved_mode *mode_named(const struct saved_mode *modes, const char *name)
{
	for (; modes->name; modes++) {
		if (!strcmp(modes->name, name))
			return modes;
	}
	return NULL;
}

/*
 * The frame's function name: a --lines suffix " base.c:LINE" dropped, so a
 * stack matches its twin from a run without --lines or from a rebuilt program
 * whose lines moved. The site says what the suffix is; without one, a last
 * word "name:digits" is taken for it.
 */
static void drop_line_suffix(char *name, const char *file, unsigned int line)
{
	char suffix[SAVED_MAX_NAME + 32];
	const char *base, *colon;
	size_t length = strlen(name), suffix_length;
	char *space;

	if (file) {
		base = strrchr(file, '/');
		snprintf(suffix, sizeof(suffix), " %s:%u", base ? base + 1 : file, line);
		suffix_length = strlen(suffix);
		if (length > suffix_length && !strcmp(name + length - suffix_length, suffix))
			name[length - suffix_length] = '\0';
		return;
	}
	space = strrchr(name, ' ');
	colon = space ? strrchr(space, ':') : NULL;
	if (colon && colon > space + 1 && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
		*space = '\0';
}

/* The site's file and line of frame `f`, when "sites" has them. */
static bool read_site(struct checker *checker, struct json_object *sites, size_t f,
		      const char *where, struct saved_stack *stack)
{
	struct json_object *site = json_object_array_get_idx(sites, f), *file, *line;
	const char *text;
	char place[96];
	uint64_t number;

	stack->files[f] = NULL;
	if (!site || json_object_is_type(site, json_type_null))
		return true;
	snprintf(place, sizeof(place), "%s.sites[%zu]", where, f);
	if (!json_object_is_type(site, json_type_object))
		return refuse(checker, "%s is %s, not an object", place, type_name(site));
	if (!member(checker, site, place, "file", false, &file) ||
	    !member(checker, site, place, "line", false, &line))
		return false;
	if (!file || !line)
		return true;
	snprintf(place, sizeof(place), "%s.sites[%zu].file", where, f);
	if (!read_string(checker, file, place, &text))
		return false;
	stack->files[f] = strdup(text);
	if (!stack->files[f])
		return refuse(checker, "out of memory");
	snprintf(place, sizeof(place), "%s.sites[%zu].line", where, f);
	if (!read_figure(checker, line, place, &number))
		return false;
	if (number > UINT32_MAX)
		return refuse(checker, "%s is %llu, past any source file's end", place,
			      (unsigned long long)number);
	stack->lines[f] = (unsigned int)number;
	return true;
}

static bool read_frames(struct checker *checker, struct json_object *object, const char *where,
			struct saved_stack *stack)
{
	struct json_object *frames, *sites;
	size_t depth, site_count = 0, f;
	const char *name;
	char place[96];

	if (!member(checker, object, where, "frames", true, &frames) ||
	    !member(checker, object, where, "sites", false, &sites))
		return false;
	snprintf(place, sizeof(place), "%s.frames", where);
	if (!array_of(checker, frames, place, SAVED_MAX_DEPTH, &depth))
		return false;
	snprintf(place, sizeof(place), "%s.sites", where);
	if (sites && !array_of(checker, sites, place, SAVED_MAX_DEPTH, &site_count))
		return false;
	if (sites && site_count != depth)
		return refuse(checker, "%s has %zu sites for %zu frames", where, site_count, depth);
	stack->frames = calloc(depth + 1, sizeof(*stack->frames));
	stack->files = calloc(depth + 1, sizeof(*stack->files));
	stack->lines = calloc(depth + 1, sizeof(*stack->lines));
	if (!stack->frames || !stack->files || !stack->lines)
		return refuse(checker, "out of memory");
	for (f = 0; f < depth; f++) {
		snprintf(place, sizeof(place), "%s.frames[%zu]", where, f);
		if (!read_string(checker, json_object_array_get_idx(frames, f), place, &name))
			return false;
		/* Counted at once, so that saved_report__free frees what this frame holds. */
		stack->depth = f + 1;
		stack->frames[f] = strdup(name);
		if (!stack->frames[f])
			return refuse(checker, "out of memory");
		if (sites && !read_site(checker, sites, f, where, stack))
			return false;
		drop_line_suffix(stack->frames[f], stack->files[f], stack->lines[f]);
	}
	return true;
}

static bool read_series(struct checker *checker, struct json_object *object, const char *where,
			size_t intervals, struct saved_stack *stack)
{
	struct json_object *series;
	char place[96];
	size_t length, i;

	if (!intervals)
		return true;
	if (!member(checker, object, where, "series", true, &series))
		return false;
	snprintf(place, sizeof(place), "%s.series", where);
	if (!array_of(checker, series, place, SAVED_MAX_INTERVALS, &length))
		return false;
	if (length != intervals)
		return refuse(checker, "%s has %zu values for %zu intervals", place, length,
			      intervals);
	stack->series = calloc(intervals, sizeof(*stack->series));
	if (!stack->series)
		return refuse(checker, "out of memory");
	for (i = 0; i < intervals; i++) {
		snprintf(place, sizeof(place), "%s.series[%zu]", where, i);
		if (!read_figure(checker, json_object_array_get_idx(series, i), place,
				 &stack->series[i]))
			return false;
	}
	return true;
}

static bool read_stack(struct checker *checker, struct saved_report *report,
		       struct json_object *object, size_t index, struct saved_stack *stack)
{
	struct json_object *comm, *value, *count;
	const char *text = report->comm;
	char where[48], place[96];

	snprintf(where, sizeof(where), "stacks[%zu]", index);
	if (!json_object_is_type(object, json_type_object))
		return refuse(checker, "%s is %s, not an object", where, type_name(object));
	if (!member(checker, object, where, "comm", false, &comm) ||
	    !member(checker, object, where, report->mode->unit, true, &value))
		return false;
	snprintf(place, sizeof(place), "%s.comm", where);
	if (comm && !read_string(checker, comm, place, &text))
		return false;
	stack->comm = text ? strdup(text) : NULL;
	if (text && !stack->comm)
		return refuse(checker, "out of memory");
	snprintf(place, sizeof(place), "%s.%s", where, report->mode->unit);
	if (!read_figure(checker, value, place, &stack->value))
		return false;
	if (report->mode->count_name) {
		snprintf(place, sizeof(place), "%s.%s", where, report->mode->count_name);
		if (!member(checker, object, where, report->mode->count_name, true, &count) ||
		    !read_figure(checker, count, place, &stack->count))
			return false;
	}
	return read_frames(checker, object, where, stack) &&
	       read_series(checker, object, where, report->interval_count, stack);
}

/* The stacks, each figure in bounds and their total too, so that no sum overflows. */
static bool read_stacks(struct checker *checker, struct saved_report *report)
{
	struct json_object *stacks;
	uint64_t total = 0;
	size_t count, i;

	if (!member(checker, report->root, "", "stacks", true, &stacks) ||
	    !array_of(checker, stacks, "stacks", SIZE_MAX / sizeof(*report->stacks), &count))
		return false;
	report->stacks = calloc(count + 1, sizeof(*report->stacks));
	if (!report->stacks)
		return refuse(checker, "out of memory");
	for (i = 0; i < count; i++) {
		report->stack_count = i + 1;
		if (!read_stack(checker, report, json_object_array_get_idx(stacks, i), i,
				&report->stacks[i]))
			return false;
		total += report->stacks[i].value;
		if (total > SAVED_MAX_VALUE)
			return refuse(checker, "the stacks' %s add up to more than any trace can count",
				      report->mode->unit);
	}
	return true;
}

/* -i's intervals: how many, from "intervals"."seconds". */
static bool read_intervals(struct checker *checker, struct saved_report *report)
{
	struct json_object *intervals, *seconds;

	if (!member(checker, report->root, "", "intervals", false, &intervals))
		return false;
	if (!intervals)
		return true;
	if (!json_object_is_type(intervals, json_type_object))
		return refuse(checker, "intervals is %s, not an object", type_name(intervals));
	return member(checker, intervals, "intervals", "seconds", true, &seconds) &&
	       array_of(checker, seconds, "intervals.seconds", SAVED_MAX_INTERVALS,
			&report->interval_count);
}

/* What the report traced: one process (pid, comm) or a set (scope), and for how long. */
static bool read_scope(struct checker *checker, struct saved_report *report)
{
	struct json_object *comm, *scope, *pid, *duration;
	const char *text;
	uint64_t number;

	if (!member(checker, report->root, "", "comm", false, &comm) ||
	    !member(checker, report->root, "", "scope", false, &scope) ||
	    !member(checker, report->root, "", "pid", false, &pid) ||
	    !member(checker, report->root, "", "duration_s", false, &duration))
		return false;
	if (comm) {
		if (!read_string(checker, comm, "comm", &text))
			return false;
		report->comm = strdup(text);
	}
	if (scope) {
		if (!read_string(checker, scope, "scope", &text))
			return false;
		report->scope = strdup(text);
	}
	if ((comm && !report->comm) || (scope && !report->scope))
		return refuse(checker, "out of memory");
	if (pid) {
		if (!read_figure(checker, pid, "pid", &number))
			return false;
		report->pid = (long long)number;
	}
	if (duration) {
		if (!json_object_is_type(duration, json_type_double) &&
		    !json_object_is_type(duration, json_type_int))
			return refuse(checker, "duration_s is %s, not a number", type_name(duration));
		report->duration_s = json_object_get_double(duration);
		if (!(report->duration_s >= 0 && report->duration_s < 1e9))
			return refuse(checker, "duration_s is %g, not a trace's duration",
				      report->duration_s);
	}
	return true;
}

static bool read_kind(struct checker *checker, struct saved_report *report, const char *tool,
		      const struct saved_mode *modes)
{
	struct json_object *value;
	char shown[72];
	const char *text;

	if (!member(checker, report->root, "", "tool", true, &value) ||
	    !read_string(checker, value, "tool", &text))
		return false;
	report->tool = strdup(text);
	if (!report->tool)
		return refuse(checker, "out of memory");
	if (strcmp(text, tool))
		return refuse(checker, "it is a report of %s, not of %s",
			      untrusted_text__escape(text, shown, sizeof(shown)), tool);
	if (!member(checker, report->root, "", "mode", true, &value) ||
	    !read_string(checker, value, "mode", &text))
		return false;
	report->mode = mode_named(modes, text);
	if (!report->mode)
		return refuse(checker, "its mode \"%s\" is not one %s writes",
			      untrusted_text__escape(text, shown, sizeof(shown)), tool);
	return true;
}

static bool only_space(const char *text, size_t length)
{
	size_t i;

	for (i = 0; i < length; i++) {
		if (!strchr(" \t\r\n", text[i]))
			return false;
	}
	return true;
}

/* The JSON text as one value, or NULL with why: cut short, malformed, or with more after it. */
static struct json_object *parse_json(struct checker *checker, const char *text, size_t length)
{
	struct json_tokener *tokener = json_tokener_new_ex(MAX_NESTING);
	struct json_object *root = NULL;
	enum json_tokener_error error;
	size_t end;

	if (!tokener) {
		refuse(checker, "out of memory");
		return NULL;
	}
	if (length > INT32_MAX) {
		refuse(checker, "it is %zu bytes long, more than a report of ours", length);
		goto out;
	}
	root = json_tokener_parse_ex(tokener, text, (int)length);
	error = json_tokener_get_error(tokener);
	end = json_tokener_get_parse_end(tokener);
	if (error == json_tokener_continue || (!root && error == json_tokener_success)) {
		refuse(checker, "the JSON ends early, after %zu bytes (cut short?)", length);
	} else if (error != json_tokener_success) {
		refuse(checker, "not JSON at byte %zu: %s", end, json_tokener_error_desc(error));
	} else if (!only_space(text + end, length - end)) {
		refuse(checker, "more follows the JSON value at byte %zu", end);
	} else if (!json_object_is_type(root, json_type_object)) {
		refuse(checker, "it is %s, not a report object", type_name(root));
	} else {
		goto out;
	}
	json_object_put(root);
	root = NULL;
out:
	json_tokener_free(tokener);
	return root;
}

struct saved_report *saved_report__parse(const char *text, size_t length, const char *name,
					 const char *tool, const struct saved_mode *modes,
					 char *why, size_t why_size)
{
	struct checker checker = {why, why_size};
	struct saved_report *report;

	/* json-c reads up to a NUL: one inside the text would hide what follows. */
	if (memchr(text, '\0', length)) {
		refuse(&checker, "it holds a NUL byte: not JSON text");
		return NULL;
	}
	report = calloc(1, sizeof(*report));
	if (!report) {
		refuse(&checker, "out of memory");
		return NULL;
	}
	report->name = name;
	report->root = parse_json(&checker, text, length);
	if (report->root && read_kind(&checker, report, tool, modes) &&
	    read_scope(&checker, report) && read_intervals(&checker, report) &&
	    read_stacks(&checker, report)) {
		/* Everything is copied out: the tree is many times the text's size. */
		json_object_put(report->root);
		report->root = NULL;
		return report;
	}
	saved_report__free(report);
	return NULL;
}

/* The whole file, NUL-terminated, or NULL with errno set (EFBIG past SAVED_MAX_FILE_BYTES). */
static char *read_whole(const char *path, size_t *length)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t used = 0, capacity = 65536;
	char *text = NULL, *grown;
	struct stat status;
	ssize_t got;
	int err;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &status) == 0 && S_ISDIR(status.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	for (;;) {
		if (used + 1 >= capacity || !text) {
			if (text)
				capacity *= 2;
			if (capacity > SAVED_MAX_FILE_BYTES + 2) {
				errno = EFBIG;
				goto fail;
			}
			grown = realloc(text, capacity);
			if (!grown)
				goto fail;
			text = grown;
		}
		got = read(fd, text + used, capacity - used - 1);
		if (got < 0)
			goto fail;
		if (got == 0)
			break;
		used += (size_t)got;
	}
	close(fd);
	text[used] = '\0';
	*length = used;
	return text;
fail:
	err = errno;
	free(text);
	close(fd);
	errno = err;
	return NULL;
}

struct saved_report *saved_report__read(const char *path, const char *tool,
					const struct saved_mode *modes)
{
	struct saved_report *report;
	char why[256];
	size_t length;
	char *text = read_whole(path, &length);

	if (!text) {
		print_error("cannot read %s: %s (give the --json file of a finished %s run)", path,
			    errno == EFBIG ? "larger than any report of ours" : strerror(errno),
			    tool);
		return NULL;
	}
	report = saved_report__parse(text, length, path, tool, modes, why, sizeof(why));
	free(text);
	if (!report)
		print_error("cannot read %s: %s (give the --json file of a finished %s run, as written)",
			    path, why, tool);
	return report;
}

void saved_report__free(struct saved_report *report)
{
	size_t i, f;

	if (!report)
		return;
	for (i = 0; i < report->stack_count; i++) {
		for (f = 0; f < report->stacks[i].depth; f++) {
			free(report->stacks[i].frames[f]);
			free(report->stacks[i].files[f]);
		}
		free(report->stacks[i].comm);
		free(report->stacks[i].frames);
		free(report->stacks[i].files);
		free(report->stacks[i].lines);
		free(report->stacks[i].series);
	}
	free(report->stacks);
	free(report->tool);
	free(report->comm);
	free(report->scope);
	json_object_put(report->root);
	free(report);
}

uint64_t saved_stack__value(const struct saved_stack *stack, size_t interval)
{
	return interval == SAVED_END ? stack->value : stack->series[interval];
}

/*
 * A report a tool wrote with --json, read back for --diff: its tool and mode,
 * what it traced, and each stack's frames and figures (at the end, and at
 * each interval of -i). The file is data from anywhere (edited by hand, cut
 * short, another tool's): everything is checked, and a file that is not a
 * whole report of ours is refused with the reason, never half-read.
 */
#ifndef SAVED_REPORT_H
#define SAVED_REPORT_H

#include <stddef.h>
#include <stdint.h>

/* A mode a tool's JSON names, and the keys of its stacks' figures. */
struct saved_mode {
	const char *name;	/* "unfreed", "resident" */
	const char *unit;	/* the value's key: "bytes", "pages" */
	const char *count_name;	/* the count's key ("allocations"), or NULL */
	const char *words;	/* for messages and titles: "unfreed allocations" */
};

/* Bounds past which a file is not a report of ours: each keeps a figure or a loop sane. */
#define SAVED_MAX_VALUE (1ULL << 62)	/* a stack's figure, and a report's total */
#define SAVED_MAX_DEPTH 1024		/* frames in a stack */
#define SAVED_MAX_NAME 4096		/* bytes in a frame's name */
#define SAVED_MAX_INTERVALS 1000000
#define SAVED_MAX_FILE_BYTES (1ULL << 30)

struct saved_stack {
	char *comm;		/* its process's, or the report's; NULL when neither says */
	char **frames;		/* root first, function names: a --lines " file.c:88" dropped */
	char **files;		/* per frame, the source file its site names, or NULL */
	unsigned int *lines;	/* ... and the line */
	size_t depth;
	uint64_t value;		/* at the end, in the mode's unit */
	uint64_t count;		/* 0 for a mode without a count */
	uint64_t *series;	/* -i: one value per interval; NULL without */
};

struct saved_report {
	const char *name;		/* the path it was read from, for messages */
	char *tool;
	const struct saved_mode *mode;
	char *comm;			/* one process's comm, or NULL (a set) */
	char *scope;			/* a set's words, or NULL */
	long long pid;			/* one process's, or 0 */
	double duration_s;
	size_t interval_count;		/* 0 without -i */
	struct saved_stack *stacks;
	size_t stack_count;
	struct json_object *root;	/* while it is read; freed once copied out */
};

/*
 * Parses `length` bytes of JSON as a report of `tool`, one of whose `modes`
 * (ended by {0}) it must be in; `name` names it in reasons. Returns the
 * report, or NULL with the reason in `why` ("stacks[3].bytes is a string, not
 * a whole number"). A report of another tool or an unknown mode is refused.
 */
struct saved_report *saved_report__parse(const char *text, size_t length, const char *name,
					 const char *tool, const struct saved_mode *modes,
					 char *why, size_t why_size);

/*
 * Reads and parses the file at `path`. Returns the report, or NULL after
 * printing "cannot read PATH: reason (hint)".
 */
struct saved_report *saved_report__read(const char *path, const char *tool,
					const struct saved_mode *modes);

/* Accepts NULL. */
void saved_report__free(struct saved_report *report);

/* A stack's figure at the end (`interval` SAVED_END), or at interval `interval` of -i. */
#define SAVED_END ((size_t)-1)
uint64_t saved_stack__value(const struct saved_stack *stack, size_t interval);

#endif

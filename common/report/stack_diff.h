/*
 * Two saved reports of one tool and mode, compared stack by stack: what each
 * stack held before and after, and by how much it changed. Stacks match by
 * their function names (never addresses) and their process's comm, so two
 * runs of a rebuilt or restarted program compare; a report's pids play no
 * part. Written as text (what grew and shrank most), differential folded
 * stacks, JSON, and (flamegraph_svg) a differential flame graph.
 */
#ifndef STACK_DIFF_H
#define STACK_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "process/frame_origins.h"
#include "report/json_writer.h"
#include "report/saved_report.h"
#include "report/stack_report.h"

/* One stack and its figures on both sides: 0 on the side that does not have it. */
struct stack_change {
	const char *comm;		/* its process's, or NULL when matched without */
	const char *const *frames;	/* root first */
	size_t depth;
	uint64_t before, after;
	uint64_t before_count, after_count;	/* when both sides have counts */
};

/* A side of the comparison: a report, and its figures at the end or at one interval. */
struct diff_side {
	const struct saved_report *report;
	size_t interval;		/* SAVED_END, or an interval of -i */
};

struct stack_diff;

/*
 * Compares `before` with `after`, which are of one tool and mode. Returns
 * the diff, or NULL without memory.
 */
struct stack_diff *stack_diff__new(const struct diff_side *before, const struct diff_side *after);
void stack_diff__free(struct stack_diff *diff);

/* The stacks of either side, the largest growth first and the largest shrinkage last. */
size_t stack_diff__length(const struct stack_diff *diff);
const struct stack_change *stack_diff__change(const struct stack_diff *diff, size_t index);
int64_t stack_change__delta(const struct stack_change *change);

/*
 * Each side as a stack report whose frames start with the comm when stacks
 * matched by it: what a differential flame graph draws (width by the after
 * side). `origins` has the source line of every frame whose site gave one.
 */
const struct stack_report *stack_diff__side(const struct stack_diff *diff, bool after);
const struct frame_origins *stack_diff__origins(const struct stack_diff *diff);
uint64_t stack_diff__total(const struct stack_diff *diff, bool after);

/* How many stacks grew, shrank, stayed, appeared (before 0) and went (after 0). */
struct diff_counts {
	size_t grew, shrank, unchanged, appeared, gone;
	uint64_t growth, shrinkage;	/* the sum of the changes each way */
};
void stack_diff__count(const struct stack_diff *diff, struct diff_counts *counts);

/*
 * The `top` stacks that grew most, then the `top` that shrank most (0: all),
 * leaf first under a line "+3000 bytes (3000 -> 6000) in 1 -> 2 allocations
 * from stack"; under each, "-  comm" when `show_comm`. Names are escaped.
 */
void stack_diff__write_text(const struct stack_diff *diff, FILE *out, size_t top, bool show_comm);

/* "comm;root;...;leaf BEFORE AFTER" per stack: flamegraph.pl's differential input. */
void stack_diff__write_folded(const struct stack_diff *diff, FILE *out);

/*
 * "before":N,"after":N,"delta":N, the counts of diff_counts, and "stacks":
 * [{["comm":…,]"frames":[…],"before":N,"after":N,"delta":N[,"before_<count>":N,
 * "after_<count>":N]}, …] in the diff's order, into an open object.
 */
void stack_diff__write_json(const struct stack_diff *diff, struct json_writer *writer);

#endif

/* The part of a trace between "Tracing" and the report: waiting for its end. */
#ifndef TRACE_SESSION_H
#define TRACE_SESSION_H

#include <stdint.h>

#include "target.h"

enum trace_end {
	TRACE_END_DURATION,
	TRACE_END_SIGNAL,	/* SIGINT or SIGTERM */
	TRACE_END_TARGET_EXIT,
};

struct trace_session {
	uint64_t start_ns;
	double duration_s;	/* how long it traced, set by trace_session__wait */
	long rss_start_kb;
	long rss_end_kb;	/* the last value read while the target lived */
	enum trace_end end;
};

/* SIGINT and SIGTERM end the trace (and interrupt attach) instead of the tool. */
void trace_session__handle_signals(void);

/* True once SIGINT or SIGTERM arrived. */
bool trace_session__interrupted(void);

/* Marks the start of tracing: the clock and the target's RSS. */
void trace_session__start(struct trace_session *session, const struct target *target);

/*
 * Waits until `duration_s` seconds have passed (0: no limit), a signal arrives
 * or the target exits, following the target's RSS meanwhile.
 */
void trace_session__wait(struct trace_session *session, struct target *target,
			 uint64_t duration_s);

/* "Ctrl-C", "duration", "target exited": why the trace ended, for the summary. */
const char *trace_session__end_reason(const struct trace_session *session);

#endif

/* The part of a trace between "Tracing" and the report: waiting for its end. */
#ifndef TRACE_SESSION_H
#define TRACE_SESSION_H

#include <stdint.h>

#include "trace/target.h"

enum trace_end {
	TRACE_END_DURATION,
	TRACE_END_SIGNAL,	/* SIGINT or SIGTERM */
	TRACE_END_TARGET_EXIT,
	TRACE_END_FAILURE,	/* the tool's hook failed: the report is partial */
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

/*
 * For the steps before "Tracing": true, after saying so on stderr and setting
 * `exit_code` to 128 + the signal, when SIGINT or SIGTERM arrived. The caller
 * then detaches whatever it attached and exits without a report.
 */
bool trace_session__interrupted_at_start(int *exit_code);

/* Marks the start of tracing: the clock and the target's RSS. */
void trace_session__start(struct trace_session *session, const struct target *target);

/*
 * Work a tool does while it waits: called on every wake-up (at least every
 * 100 ms, and when a -c child stops). A negative return ends the wait.
 */
struct trace_hook {
	int (*on_wake)(void *context);
	void *context;
	const struct trace_hook *next;	/* called after this one, or NULL */
};

/*
 * Waits until `duration_s` seconds have passed (0: no limit), a signal arrives
 * or the target exits, following the target's RSS meanwhile. `hook` (a chain)
 * may be NULL.
 */
void trace_session__wait(struct trace_session *session, struct target *target,
			 uint64_t duration_s, const struct trace_hook *hook);

/* "Ctrl-C", "duration", "target exited": why the trace ended, for the summary. */
const char *trace_session__end_reason(const struct trace_session *session);

#endif

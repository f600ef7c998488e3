#include "trace/trace_session.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "base/clock.h"
#include "base/errors.h"

/* The signal that asked the tool to stop, or 0. */
static volatile sig_atomic_t interrupted;

static void on_signal(int signal_number)
{
	interrupted = signal_number;
}

static void wake_up(int signal_number)
{
	(void)signal_number;
}

void trace_session__handle_signals(void)
{
	struct sigaction action;

	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigemptyset(&action.sa_mask);
	/* No SA_RESTART: a signal must cut the wait short. */
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	/*
	 * A -c child that stops for the tool wakes the wait at once; SA_RESTART
	 * spares other system calls, and poll is never restarted anyway.
	 */
	action.sa_handler = wake_up;
	action.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &action, NULL);
}

bool trace_session__interrupted(void)
{
	return interrupted;
}

bool trace_session__interrupted_at_start(int *exit_code)
{
	if (!interrupted)
		return false;
	print_error("interrupted by %s before tracing began: detaching, no report",
		    interrupted == SIGINT ? "SIGINT" : "SIGTERM");
	/* What a shell reports for a command a signal ended. */
	*exit_code = 128 + interrupted;
	return true;
}

void trace_session__start(struct trace_session *session, const struct target *target)
{
	memset(session, 0, sizeof(*session));
	session->start_ns = clock_now_ns();
	session->rss_start_kb = target__rss_kb(target);
	session->rss_end_kb = session->rss_start_kb;
}

/* How often the target's RSS is read: its last value before an exit is the end figure. */
#define RSS_SAMPLE_MS 100

static int run_hooks(const struct trace_hook *hook)
{
	int err;

	for (; hook; hook = hook->next) {
		err = hook->on_wake(hook->context);
		if (err < 0)
			return err;
	}
	return 0;
}

void trace_session__wait(struct trace_session *session, struct target *target,
			 uint64_t duration_s, const struct trace_hook *hook)
{
	uint64_t deadline_ns = session->start_ns + duration_s * 1000000000ULL;
	struct pollfd exit_event = {.fd = target->pidfd, .events = POLLIN};
	int timeout_ms;
	long rss_kb;

	session->end = TRACE_END_DURATION;
	for (;;) {
		rss_kb = target__rss_kb(target);
		if (rss_kb >= 0)
			session->rss_end_kb = rss_kb;
		if (interrupted) {
			session->end = TRACE_END_SIGNAL;
			break;
		}
		if (run_hooks(hook) < 0) {
			session->end = TRACE_END_FAILURE;
			break;
		}
		if (target__has_exited(target)) {
			session->end = TRACE_END_TARGET_EXIT;
			break;
		}
		timeout_ms = RSS_SAMPLE_MS;
		if (duration_s) {
			uint64_t now = clock_now_ns();

			if (now >= deadline_ns)
				break;
			if ((deadline_ns - now) / 1000000 < (uint64_t)timeout_ms)
				timeout_ms = (deadline_ns - now) / 1000000 + 1;
		}
		if (poll(&exit_event, 1, timeout_ms) < 0 && errno != EINTR)
			break;
	}
	session->duration_s = (clock_now_ns() - session->start_ns) / 1e9;
}

const char *trace_session__end_reason(const struct trace_session *session)
{
	switch (session->end) {
	case TRACE_END_SIGNAL:
		return "interrupted";
	case TRACE_END_TARGET_EXIT:
		return "target exited";
	case TRACE_END_FAILURE:
		return "tracing failed";
	default:
		return "duration reached";
	}
}

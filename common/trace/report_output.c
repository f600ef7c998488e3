#include "trace/report_output.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/errors.h"
#include "report/flamegraph_svg.h"
#include "report/stack_quality.h"

void report_output__write(const struct cli_settings *settings, const struct traced_scope *scope,
			  const struct stack_report *report, const char *what)
{
	size_t length = stack_report__length(report);

	if (settings->folded) {
		stack_report__write_folded(report, stdout, scope->set ? NULL : scope->process.comm);
		return;
	}
	if (settings->top && settings->top < length)
		printf("Top %llu of %zu stacks %s:\n", (unsigned long long)settings->top, length, what);
	else
		printf("All %zu stacks %s:\n", length, what);
	stack_report__write_text(report, stdout, settings->top);
}

void report_output__print_rss(const struct trace_session *session, int64_t attributed_kb)
{
	if (session->rss_start_kb < 0)
		return;	/* a set: each process's RSS is in its row of the process table */
	fprintf(stderr, "%s: RSS %ld kB -> %ld kB (%+ld kB) over the same time", program_name,
		session->rss_start_kb, session->rss_end_kb,
		session->rss_end_kb - session->rss_start_kb);
	if (attributed_kb >= 0)
		fprintf(stderr, "; %lld kB attributed", (long long)attributed_kb);
	fputc('\n', stderr);
}

void report_output__print_stacks(const struct stack_report *report,
				 const struct unwind_tables *unwind)
{
	struct stack_quality quality;

	stack_quality__measure(report, &quality);
	fprintf(stderr, "%s: ", program_name);
	stack_quality__print(&quality, stack_report__unit(report), stderr);
	unwind_tables__print(unwind, stderr);
	fputc('\n', stderr);
}

int report_files__create(struct report_files *files, const struct cli_settings *settings)
{
	*files = (struct report_files){0};
	if (settings->json_path) {
		files->json = output_file__create(settings->json_path, "--json");
		if (!files->json)
			return -EIO;
	}
	if (settings->svg_path) {
		files->svg = output_file__create(settings->svg_path, "--svg");
		if (!files->svg) {
			report_files__free(files);
			return -EIO;
		}
	}
	if (settings->pprof_path &&
	    pprof_trail__open(&files->pprof, settings->pprof_path, settings->interval_s != 0)) {
		report_files__free(files);
		return -EIO;
	}
	return 0;
}

void report_files__free(struct report_files *files)
{
	output_file__free(files->json);
	output_file__free(files->svg);
	pprof_trail__free(&files->pprof);
	*files = (struct report_files){0};
}

void report_output__begin_json(struct json_writer *writer, struct output_file *file,
			       const char *tool, const char *mode, const struct traced_scope *scope,
			       const struct trace_session *session,
			       const struct trace_losses *losses)
{
	json_writer__init(writer, output_file__stream(file));
	json_writer__begin_object(writer, NULL);
	json_writer__string(writer, "tool", tool);
	json_writer__string(writer, "mode", mode);
	if (scope->set) {
		json_writer__string(writer, "scope", scope->set);
	} else {
		json_writer__u64(writer, "pid", scope->process.pid);
		json_writer__string(writer, "comm", scope->process.comm);
	}
	json_writer__double(writer, "duration_s", session->duration_s);
	json_writer__string(writer, "end", trace_session__end_reason(session));
	/* A set's RSS is each process's, in "processes". */
	if (!scope->set) {
		json_writer__u64(writer, "rss_start_kb", session->rss_start_kb);
		json_writer__u64(writer, "rss_end_kb", session->rss_end_kb);
	}
	trace_losses__write_json(losses, writer);
}

int report_output__end_json(struct json_writer *writer, struct output_file *file,
			    const struct stack_report *report,
			    const struct process_totals *processes,
			    const struct interval_sampler *sampler,
			    const struct unwind_tables *unwind,
			    const struct frame_origins *origins)
{
	struct stack_quality quality;

	interval_sampler__write_json(sampler, writer);
	stack_quality__measure(report, &quality);
	stack_quality__write_json(&quality, stack_report__unit(report), writer);
	unwind_tables__write_json(unwind, writer);
	if (processes)
		process_totals__write_json(processes, writer);
	stack_report__write_json(report, origins, writer);
	json_writer__end_object(writer);
	return output_file__commit(file);
}

/* "PID 181 (redis-server)", or a set's words, raw: each writer escapes it its way. */
static void describe_scope(const struct traced_scope *scope, char *text, size_t size)
{
	if (scope->set)
		snprintf(text, size, "%s", scope->set);
	else
		snprintf(text, size, "PID %d (%s)", scope->process.pid, scope->process.comm);
}

int report_output__write_svg(struct output_file *file, const char *title,
			     const struct traced_scope *scope, const struct trace_session *session,
			     const struct stack_report *report, const char *unit,
			     const struct frame_origins *origins)
{
	struct flamegraph_labels labels = {.title = title, .unit = unit};
	char traced[256], subtitle[384];
	int err;

	/* The comm goes in raw: the SVG writer escapes the whole subtitle. */
	describe_scope(scope, traced, sizeof(traced));
	snprintf(subtitle, sizeof(subtitle), "%s, %.2f s, %llu %s in %zu stacks", traced,
		 session->duration_s, (unsigned long long)stack_report__total_value(report), unit,
		 stack_report__length(report));
	labels.subtitle = subtitle;
	err = flamegraph_svg__write(output_file__stream(file), report, &labels, origins);
	if (err) {
		print_error("cannot draw the flame graph: %s", strerror(-err));
		return err;
	}
	return output_file__commit(file);
}

/* When tracing began, in ns since the epoch: the session keeps it on the monotonic clock. */
static int64_t start_since_epoch_ns(const struct trace_session *session)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec -
	       (int64_t)(clock_now_ns() - session->start_ns);
}

int report_output__write_pprof(struct output_file *file, const struct pprof_kind *kind,
			       const char *title, const struct traced_scope *scope,
			       const struct trace_session *session, double elapsed_s,
			       const struct stack_report *report,
			       const struct frame_origins *origins)
{
	char traced[256], comment[384];
	struct pprof_description description = {
		.kind = kind,
		.time_ns = start_since_epoch_ns(session),
		.duration_ns = (int64_t)(elapsed_s * 1e9),
		.comment = comment,
		.process = scope->set ? NULL : &scope->process,
	};
	int err;

	/* Protocol buffers carry any bytes in a string: pprof escapes what it shows. */
	describe_scope(scope, traced, sizeof(traced));
	snprintf(comment, sizeof(comment), "%s: %s of %s over %.2f s", program_name, title, traced,
		 elapsed_s);
	err = pprof_profile__write(output_file__stream(file), report, origins, &description);
	if (err) {
		print_error("cannot write the pprof profile: %s", strerror(-err));
		return err;
	}
	return output_file__commit(file);
}

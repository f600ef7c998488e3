#include "report_output.h"

#include <errno.h>
#include <string.h>

#include "errors.h"
#include "flamegraph_svg.h"

void report_output__write(const struct cli_settings *settings, const struct target *target,
			  const struct stack_report *report, const char *what)
{
	size_t length = stack_report__length(report);

	if (settings->folded) {
		stack_report__write_folded(report, stdout, target->comm);
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
	fprintf(stderr, "%s: RSS %ld kB -> %ld kB (%+ld kB) over the same time", program_name,
		session->rss_start_kb, session->rss_end_kb,
		session->rss_end_kb - session->rss_start_kb);
	if (attributed_kb >= 0)
		fprintf(stderr, "; %lld kB attributed", (long long)attributed_kb);
	fputc('\n', stderr);
}

FILE *report_output__begin_json(struct json_writer *writer, const char *path, const char *tool,
				const char *mode, const struct target *target,
				const struct trace_session *session,
				const struct trace_losses *losses)
{
	FILE *out = fopen(path, "we");

	if (!out) {
		print_error("cannot write %s: %s (choose a writable path for --json)", path,
			    strerror(errno));
		return NULL;
	}
	json_writer__init(writer, out);
	json_writer__begin_object(writer, NULL);
	json_writer__string(writer, "tool", tool);
	json_writer__string(writer, "mode", mode);
	json_writer__u64(writer, "pid", target->pid);
	json_writer__string(writer, "comm", target->comm);
	json_writer__double(writer, "duration_s", session->duration_s);
	json_writer__string(writer, "end", trace_session__end_reason(session));
	json_writer__u64(writer, "rss_start_kb", session->rss_start_kb);
	json_writer__u64(writer, "rss_end_kb", session->rss_end_kb);
	trace_losses__write_json(losses, writer);
	return out;
}

int report_output__end_json(struct json_writer *writer, FILE *out, const char *path,
			    const struct stack_report *report,
			    const struct interval_sampler *sampler)
{
	if (sampler)
		interval_sampler__write_json(sampler, writer);
	stack_report__write_json(report, writer);
	json_writer__end_object(writer);
	if (fclose(out)) {
		print_error("cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

int report_output__write_svg(const char *path, const char *title, const struct target *target,
			     const struct trace_session *session,
			     const struct stack_report *report, const char *unit,
			     const struct frame_origins *origins)
{
	struct flamegraph_labels labels = {.title = title, .unit = unit};
	char subtitle[256];

	snprintf(subtitle, sizeof(subtitle), "PID %d (%s), %.2f s, %llu %s in %zu stacks",
		 (int)target->pid, target->comm, session->duration_s,
		 (unsigned long long)stack_report__total_value(report), unit,
		 stack_report__length(report));
	labels.subtitle = subtitle;
	return flamegraph_svg__write(path, report, &labels, origins);
}

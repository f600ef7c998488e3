#include "trace/interval_sampler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/errors.h"
#include "base/growable_array.h"

/* Stacks and frames per stack on each interval's lines: a glance, not the report. */
#define INTERVAL_TOP_STACKS 3
#define INTERVAL_FRAMES 4

#define NS_PER_S 1000000000ULL

int interval_sampler__start(struct interval_sampler *sampler, const struct cli_settings *settings,
			    const struct interval_figures *figures, const struct target *target,
			    const struct trace_session *session)
{
	if (!settings->interval_s)
		return 0;	/* no -i: the sampler stays off */
	*sampler = (struct interval_sampler){
		.interval_s = settings->interval_s, .figures = *figures, .target = target,
		.session = session,
		/* Folded stacks own stdout: a flame graph tool must read nothing else. */
		.out = settings->folded ? stderr : stdout,
		.next_ns = session->start_ns + settings->interval_s * NS_PER_S,
	};
	sampler->trends = stack_trends__new();
	if (!sampler->trends) {
		print_error("out of memory for the interval figures");
		return -ENOMEM;
	}
	return 0;
}

void interval_sampler__free(struct interval_sampler *sampler)
{
	stack_trends__free(sampler->trends);
	free(sampler->totals);
}

static void print_interval(const struct interval_sampler *sampler,
			   const struct stack_report *report, double elapsed_s, long rss_kb)
{
	char clock[16];
	time_t now = time(NULL);

	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	fprintf(sampler->out, "%s +%.0f s: %llu %s %s in %llu %s from %zu stacks; RSS %ld kB (%+ld kB)\n",
		clock, elapsed_s, (unsigned long long)stack_report__total_value(report),
		sampler->figures.unit, sampler->figures.held,
		(unsigned long long)stack_report__total_count(report), sampler->figures.count_name,
		stack_report__length(report), rss_kb, rss_kb - sampler->session->rss_start_kb);
	stack_report__write_brief(report, sampler->out, INTERVAL_TOP_STACKS, INTERVAL_FRAMES);
	fflush(sampler->out);
}

static int take_sample(struct interval_sampler *sampler, double elapsed_s)
{
	struct stack_report *report = stack_report__new(sampler->figures.unit, sampler->figures.count_name);
	size_t index = stack_trends__count(sampler->trends);
	long rss_kb = target__rss_kb(sampler->target);
	struct interval_totals *totals;
	int err;

	if (!report)
		return -ENOMEM;
	err = sampler->figures.collect(report, sampler->figures.context);
	if (!err && growable_array__reserve(&sampler->totals, &sampler->totals_capacity, index,
					    sizeof(*sampler->totals)))
		err = -ENOMEM;
	if (!err)
		err = stack_trends__sample(sampler->trends, report, elapsed_s);
	if (!err) {
		totals = &sampler->totals[index];
		/* A target gone between two reads keeps its last RSS. */
		totals->rss_kb = rss_kb >= 0 ? rss_kb : sampler->session->rss_end_kb;
		totals->held = stack_report__total_value(report);
		print_interval(sampler, report, elapsed_s, totals->rss_kb);
	}
	stack_report__free(report);
	return err;
}

int interval_sampler__on_wake(void *context)
{
	struct interval_sampler *sampler = context;
	uint64_t now = clock_now_ns();
	int err;

	if (!sampler->trends || now < sampler->next_ns)
		return 0;
	/* Late wake-ups do not pile up samples: the next is one interval on. */
	sampler->next_ns += sampler->interval_s * NS_PER_S;
	if (sampler->next_ns <= now)
		sampler->next_ns = now + sampler->interval_s * NS_PER_S;
	err = take_sample(sampler, (now - sampler->session->start_ns) / 1e9);
	if (err)
		print_error("cannot take the interval's figures: %s", strerror(-err));
	return err;
}

int interval_sampler__annotate(struct interval_sampler *sampler, struct stack_report *report)
{
	return sampler->trends ? stack_trends__annotate(sampler->trends, report) : 0;
}

void interval_sampler__print_classes(const struct interval_sampler *sampler,
				     const struct stack_report *report)
{
	static const enum trend_class order[] = {TREND_LEAK_SUSPECT, TREND_PLATEAU,
						 TREND_TRANSIENT, TREND_UNCLASSIFIED};
	uint64_t stacks[TREND_TRANSIENT + 1] = {0}, values[TREND_TRANSIENT + 1] = {0};
	const struct stack_entry *entry;
	enum trend_class class;
	size_t i;

	if (!sampler->trends)
		return;
	for (i = 0; i < stack_report__length(report); i++) {
		entry = stack_report__entry(report, i);
		class = trend_class__of(entry);
		stacks[class]++;
		values[class] += entry->value;
	}
	fprintf(stderr, "%s: over %zu intervals of %llu s:", program_name,
		stack_trends__count(sampler->trends), (unsigned long long)sampler->interval_s);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		fprintf(stderr, "%s %llu %s (%s: %llu)", i ? "," : "",
			(unsigned long long)stacks[order[i]], trend_class__name(order[i]),
			sampler->figures.unit, (unsigned long long)values[order[i]]);
	fputc('\n', stderr);
}

void interval_sampler__write_json(const struct interval_sampler *sampler,
				  struct json_writer *writer)
{
	size_t i, count;
	const double *times;

	if (!sampler->trends)
		return;
	count = stack_trends__count(sampler->trends);
	times = stack_trends__times(sampler->trends);
	json_writer__begin_object(writer, "intervals");
	json_writer__begin_array(writer, "seconds");
	for (i = 0; i < count; i++)
		json_writer__double(writer, NULL, times[i]);
	json_writer__end_array(writer);
	json_writer__begin_array(writer, "rss_kb");
	for (i = 0; i < count; i++)
		json_writer__u64(writer, NULL, sampler->totals[i].rss_kb > 0 ? sampler->totals[i].rss_kb : 0);
	json_writer__end_array(writer);
	json_writer__begin_array(writer, sampler->figures.unit);
	for (i = 0; i < count; i++)
		json_writer__u64(writer, NULL, sampler->totals[i].held);
	json_writer__end_array(writer);
	json_writer__end_object(writer);
}

#include "trace/trace_run.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/errors.h"
#include "trace/diff_run.h"
#include "process/user_address_space.h"

/*
 * The tool's -D settings, and those every program has: what it traces
 * (traced_processes.h; `pid` is the one process, or a -c command), its stack map, the end of user space, whether a -c
 * command stops at each image event (image_event_probes.h), and the unwind
 * tables' sizes.
 */
static int add_defines(const struct trace_run *run, pid_t pid, struct bpf_defines *defines)
{
	const struct cli_settings *settings = run->settings;
	bool images_to_come = settings->command || !traced_set__probes_each_process(&run->set);

	return traced_set__add_defines(&run->set, defines) ?:
	       bpf_defines__add(defines, "TARGET_TGID", pid) ?:
	       bpf_defines__add(defines, "TARGET_TID", settings->tid) ?:
	       bpf_defines__add(defines, "STACK_STORAGE_SIZE", settings->stack_storage_size) ?:
	       bpf_defines__add(defines, "USER_ADDRESS_LIMIT", user_address_space_bytes()) ?:
	       bpf_defines__add(defines, "STOP_AT_EVENTS", settings->command != NULL) ?:
	       bpf_defines__add(defines, "PROBE_SITES", PROBE_SITES) ?:
	       run->tool->add_defines(run->tool_state, defines) ?:
	       unwind_tables__add_defines(run->unwind, images_to_come, defines);
}

/* --ebpf: the program as it would be compiled for -p PID. The exit code. */
static int print_program(struct trace_run *run)
{
	const struct cli_settings *settings = run->settings;
	struct bpf_defines defines = {0};
	int exit_code = 1;

	run->unwind = unwind_tables__new(settings->unwind, false);
	if (run->unwind && !traced_set__open(&run->set, settings) &&
	    !add_defines(run, settings->pid, &defines)) {
		bcc_module__print(stdout, run->tool->bpf_text, &defines);
		exit_code = 0;
	}
	bpf_defines__free(&defines);
	return exit_code;
}

/*
 * Checks the set, then opens the one process (-p, -t) or starts the command,
 * held at its gate (-c). 0 or -errno.
 */
static int open_target(struct trace_run *run)
{
	const struct cli_settings *settings = run->settings;
	int removed = uprobes__remove_stale();
	int err;

	if (removed > 0)
		print_warning("removed %d uprobe events left behind by an earlier run that was killed",
			      removed);
	target__init(&run->target);
	err = traced_set__open(&run->set, settings);
	if (err)
		return err;
	if (settings->command) {
		err = target__spawn(&run->target, settings->command);
		run->set.command = run->target.pid;
		return err;
	}
	if (traced_set__is_one_process(&run->set))
		return target__open(&run->target, settings->pid, settings->tid);
	return 0;
}

/*
 * The unwind tables of the one process or command, or of -p's list. Other
 * members (forked, in the cgroup, on the host) get theirs once the walk
 * meets them (unwind_tables__on_wake): reading every object of a host at
 * start would cost seconds. 0 or -errno.
 */
static int add_unwind_processes(struct trace_run *run)
{
	const struct traced_set *set = &run->set;
	size_t i;
	int err;

	if (run->target.pid)
		return unwind_tables__add_process(run->unwind, run->target.pid,
						  !run->settings->command);
	for (i = 0; i < set->listed_count; i++) {
		err = unwind_tables__add_process(run->unwind, set->listed[i], true);
		if (err)
			return err;
	}
	return 0;
}

/* The program for the target, with the unwind tables of what it maps. 0 or -errno. */
static int compile(struct trace_run *run)
{
	const struct cli_settings *settings = run->settings;
	struct bpf_defines defines = {0};
	int err = -EINVAL;

	run->unwind = unwind_tables__new(settings->unwind, settings->verbose);
	if (run->unwind && !add_unwind_processes(run) && !add_defines(run, run->target.pid, &defines)) {
		start_phases__end(&run->phases, START_UNWIND_TABLES);
		run->program = bcc_module__compile(run->tool->bpf_text, &defines, &run->headers);
		start_phases__end(&run->phases, START_COMPILE);
	}
	bpf_defines__free(&defines);
	if (!run->program)
		return err;
	err = unwind_tables__load(run->unwind, run->program);
	if (err)
		print_error("cannot load the unwind tables into the BPF maps: %s", strerror(-err));
	start_phases__end(&run->phases, START_UNWIND_TABLES);
	return err;
}

/* What the tool's probes and the image follower need, before the tool attaches. */
static int prepare_attach(struct trace_run *run)
{
	pid_t pid = run->target.pid;

	run->tool->words(run->tool_state, &run->words);
	run->scope = (struct traced_scope){.process = {pid, run->target.comm}};
	if (traced_set__is_one_process(&run->set)) {
		snprintf(run->traced_name, sizeof(run->traced_name), "PID %d (%s)", (int)pid,
			 run->target.printable_comm);
	} else {
		traced_set__describe(&run->set, run->traced_name, sizeof(run->traced_name));
		run->scope.set = run->traced_name;
	}
	run->report = stack_report__new(run->words.unit, run->words.count_name);
	run->probes = uprobe_set__new();
	if (!run->report || !run->probes ||
	    frame_naming__init(&run->naming, run->settings->lines, run->settings->verbose))
		return -ENOMEM;
	run->processes.naming = &run->naming;
	/*
	 * The symbol cache reads the maps now, and again whenever they change. A
	 * set's processes get theirs at the report (process_table).
	 */
	if (pid) {
		run->symbolizer = symbolizer__new(pid, &run->naming);
		if (!run->symbolizer) {
			print_error("cannot read the symbols of PID %d", (int)pid);
			return -EIO;
		}
	}
	run->follower = (struct image_follower){
		.program = run->program, .probes = run->probes, .target = &run->target,
		.set = &run->set, .symbolizer = run->symbolizer, .unwind = run->unwind,
		.follow = run->tool->follow, .context = run->tool_state,
	};
	return 0;
}

/*
 * -c: lets the command exec, and follows its stops (its exec, its loader's
 * events) until the tool can trace it; it is held there. -p: whether the
 * tool can trace the process as it is. 0 or -errno.
 */
static int wait_until_ready(struct trace_run *run)
{
	const struct tool *tool = run->tool;
	struct target *target = &run->target;
	int err;

	if (!run->settings->command)
		return tool->check_ready ? tool->check_ready(run->tool_state, run, false) : 0;
	err = target__release(target);
	while (!err) {
		err = image_follower__follow_stop(&run->follower);
		if (err == -ESRCH && tool->check_ready)
			return tool->check_ready(run->tool_state, run, true);
		if (err == -ESRCH) {
			char how[64];

			target__describe_end(target, how, sizeof(how));
			print_error("command %s ended before it could be traced (%s)",
				    target->exe_path, how);
		}
		if (!err && tool->check_ready)
			err = tool->check_ready(run->tool_state, run, false);
		if (err != -EAGAIN)
			return err;
		err = 0;
		target__continue(target);
	}
	return err;
}

int trace_run__start(struct trace_run *run, const struct tool *tool, void *tool_state,
		     const struct cli_settings *settings)
{
	int exit_code = 1;

	*run = (struct trace_run){.tool = tool, .tool_state = tool_state, .settings = settings};
	if (settings->print_ebpf)
		return print_program(run);
	start_phases__begin(&run->phases);
	trace_session__handle_signals();
	/* Before the target is started or anything attached: a bad path costs nothing. */
	if (!bcc_module__check_privileges() || kernel_headers__find(&run->headers) ||
	    report_files__create(&run->files, settings) || open_target(run))
		return 1;
	if (settings->verbose)
		kernel_headers__describe(&run->headers, stderr);
	start_phases__end(&run->phases, START_TARGET);
	if (compile(run))
		return 1;
	/* Compiling takes seconds: the likeliest time for an impatient Ctrl-C. */
	if (trace_session__interrupted_at_start(&exit_code))
		return exit_code;
	if (prepare_attach(run) || traced_set__start(&run->set, run->program) ||
	    tool->attach(tool_state, run) || image_follower__start(&run->follower) ||
	    wait_until_ready(run))
		return 1;
	start_phases__take(&run->phases, START_LOAD, bcc_module__load_ns(run->program));
	start_phases__end(&run->phases, START_ATTACH);
	if (trace_session__interrupted_at_start(&exit_code))
		return exit_code;
	return TRACE_RUN_GO_ON;
}

static int note_member(pid_t pid, void *context)
{
	return process_table__note_start(context, pid);
}

/* A set's members now, with their RSS: its growth is set beside each one's figures. */
static int note_members(struct trace_run *run)
{
	int err = traced_set__foreach(&run->set, run->program, note_member, &run->processes);

	if (err)
		print_error("cannot list the traced processes: %s", strerror(-err));
	return err;
}

int trace_run__naming(struct trace_run *run, pid_t pid, struct stack_naming *naming)
{
	struct traced_process *process;

	/* One store of origins and sites for every process: the outputs look names up there. */
	*naming = (struct stack_naming){
		.exec_generation = image_follower__exec_generation(run->program, pid),
		.origins = run->naming.origins};
	if (traced_set__is_one_process(&run->set)) {
		naming->symbolizer = run->symbolizer;
		naming->exited = run->target.exited;
		return 0;
	}
	process = process_table__get(&run->processes, pid);
	if (!process)
		return -ENOMEM;
	naming->symbolizer = process->symbolizer;
	naming->owner = &process->owner;
	naming->exited = traced_process__exited(process);
	return 0;
}

/* -i with --pprof DIR/ or a %d name: the interval's profile, in place before the next. */
static int write_interval_pprof(struct trace_run *run, const struct stack_report *report)
{
	struct output_file *file = pprof_trail__next_interval(&run->files.pprof);
	int err;

	if (!file)
		return -EIO;
	err = report_output__write_pprof(file, run->words.pprof, run->words.svg_title, &run->scope,
					 &run->session,
					 (clock_now_ns() - run->session.start_ns) / 1e9, report,
					 run->naming.origins);
	output_file__free(file);
	return err;
}

/* -i: the tool's figures now. */
static int collect_sample(struct stack_report *report, void *context)
{
	struct trace_run *run = context;
	int err = run->tool->collect(run->tool_state, run, report, false);

	if (!err && pprof_trail__per_interval(&run->files.pprof))
		err = write_interval_pprof(run, report);
	return err;
}

int trace_run__trace(struct trace_run *run)
{
	const struct interval_figures figures = {collect_sample, run, run->words.unit,
						 run->words.count_name, run->words.held};
	struct trace_hook refresh_unwinding = {unwind_tables__on_wake, run->unwind, NULL};
	struct trace_hook sample_intervals = {interval_sampler__on_wake, &run->sampler,
					      &refresh_unwinding};
	struct trace_hook follow_images = {image_follower__on_wake, &run->follower,
					   &sample_intervals};
	const struct cli_settings *settings = run->settings;
	char probes[64] = "";

	trace_session__start(&run->session, &run->target);
	if (note_members(run))
		return 1;
	if (interval_sampler__start(&run->sampler, settings, &figures, &run->target,
				    &run->session))
		return 1;
	if (run->tool->counts_probes)
		snprintf(probes, sizeof(probes), " through %zu uprobes",
			 uprobe_set__count(run->probes));
	if (settings->verbose)
		start_phases__print(&run->phases, stderr);
	if (run->tool->counts_probes)
		probe_cost__start(&run->cost, run->program,
				  traced_set__is_one_process(&run->set) ? run->target.pid : 0);
	fprintf(stderr, "Tracing %s of %s%s%s... Hit Ctrl-C to end.\n", run->words.traced,
		run->traced_name, probes, settings->tid ? ", one thread" : "");
	target__continue(&run->target);
	trace_session__wait(&run->session, &run->target, settings->duration_s, &follow_images);
	return TRACE_RUN_GO_ON;
}

static bool has_stacks(const struct process_totals *totals, pid_t pid)
{
	size_t i;

	for (i = 0; i < process_totals__length(totals); i++) {
		if (process_totals__entry(totals, i)->pid == pid)
			return true;
	}
	return false;
}

/*
 * A set's figures per process, beside each one's RSS over the trace: the
 * processes its stacks name, those whose RSS grew without a stack, and
 * those that exited after events of theirs were seen (a host has hundreds
 * that did none of it). 0, or 1 after saying why.
 */
static int total_processes(struct trace_run *run)
{
	const struct traced_process *process;
	size_t i;
	int err = 0;

	run->process_totals = process_totals__from_report(run->report);
	process_table__finish(&run->processes);
	for (i = 0; run->process_totals && !err && i < run->processes.count; i++) {
		process = run->processes.items[i];
		if (!has_stacks(run->process_totals, process->pid) &&
		    (traced_process__exited(process) ? !process->met_in_events
						     : process->rss_end_kb <= process->rss_start_kb))
			continue;
		err = traced_process__exited(process)
			      ? process_totals__set_exited(run->process_totals, &process->owner)
			      : process_totals__set_rss(run->process_totals, &process->owner,
							process->rss_start_kb, process->rss_end_kb);
	}
	if (!run->process_totals || err) {
		print_error("cannot total the traced processes: out of memory");
		return 1;
	}
	return 0;
}

/* What the trace holds in the kernel, and what a set's full maps dropped. */
static void print_set_figures(const struct trace_run *run)
{
	struct map_memory memory;

	traced_set__print_losses(&run->set, run->program);
	bcc_module__map_memory(run->program, &memory);
	fprintf(stderr, "%s: BPF maps: %.1f MB of kernel memory", program_name,
		memory.allocated / 1e6);
	if (memory.at_most > memory.allocated)
		fprintf(stderr, ", up to %.1f MB as they fill", memory.at_most / 1e6);
	fputc('\n', stderr);
}

int trace_run__report(struct trace_run *run)
{
	const struct tool *tool = run->tool;
	int err;

	if (run->symbolizer && !run->target.exited)
		symbolizer__refresh(run->symbolizer);
	err = tool->collect(run->tool_state, run, run->report, true) ?:
	      interval_sampler__annotate(&run->sampler, run->report);
	if (err) {
		print_error("cannot read the traced %s: %s", run->words.events, strerror(-err));
		return 1;
	}
	if (!traced_set__is_one_process(&run->set) && total_processes(run))
		return 1;
	report_output__write(run->settings, &run->scope, run->report, run->words.text_title);
	if (tool->print_text)
		tool->print_text(run->tool_state, run);
	tool->print_summary(run->tool_state, run);
	if (tool->counts_probes) {
		probe_cost__finish(&run->cost, run->program, run->probes, run->emulation);
		probe_cost__print(&run->cost, stderr);
	}
	if (run->process_totals)
		process_totals__write_text(run->process_totals, stderr);
	print_set_figures(run);
	report_output__print_stacks(run->report, run->unwind);
	interval_sampler__print_classes(&run->sampler, run->report);
	if (run->files.json && tool->write_json(run->tool_state, run, run->files.json))
		return 1;
	if (run->files.svg &&
	    report_output__write_svg(run->files.svg, run->words.svg_title, &run->scope,
				     &run->session, run->report, run->words.unit,
				     run->naming.origins))
		return 1;
	if (run->files.pprof.final &&
	    report_output__write_pprof(run->files.pprof.final, run->words.pprof,
				       run->words.svg_title, &run->scope, &run->session,
				       run->session.duration_s, run->report, run->naming.origins))
		return 1;
	return 0;
}

void trace_run__free(struct trace_run *run)
{
	interval_sampler__free(&run->sampler);
	report_files__free(&run->files);
	/* The probes go before the program whose functions they run. */
	uprobe_set__free(run->probes);
	image_follower__free(&run->follower);
	bcc_module__free(run->program);
	symbolizer__free(run->symbolizer);
	stack_report__free(run->report);
	unwind_tables__free(run->unwind);
	process_totals__free(run->process_totals);
	process_table__free(&run->processes);
	frame_naming__free(&run->naming);
	if (run->target.pid)
		target__close(&run->target);
}

int trace_run(const struct tool *tool, void *tool_state, int argc, char **argv)
{
	const struct cli_settings *settings;
	struct trace_run run;
	int exit_code;

	program_name = tool->name;
	exit_code = tool->parse(tool_state, argc, argv, &settings);
	if (exit_code != CLI_CONTINUE)
		return exit_code;
	if (settings->diff_before)
		return diff_run(tool->name, tool->saved_modes, settings);
	exit_code = trace_run__start(&run, tool, tool_state, settings);
	if (exit_code == TRACE_RUN_GO_ON)
		exit_code = trace_run__trace(&run);
	if (exit_code == TRACE_RUN_GO_ON)
		exit_code = trace_run__report(&run);
	trace_run__free(&run);
	return exit_code;
}

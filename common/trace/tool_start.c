#include "trace/tool_start.h"

#include <stdio.h>
#include <string.h>

#include "base/errors.h"
#include "trace/trace_session.h"
#include "trace/uprobes.h"

/*
 * The tool's -D settings, and those of the BPF halves every tool includes:
 * image_event_probes.h stops a -c command at each event until it is followed.
 */
static int add_defines(const struct cli_settings *settings, const void *tool_settings,
		       build_defines_fn build_defines, pid_t pid,
		       const struct unwind_tables *unwind, struct bpf_defines *defines)
{
	return build_defines(tool_settings, pid, defines) ?:
	       bpf_defines__add(defines, "STOP_AT_EVENTS", settings->command != NULL) ?:
	       unwind_tables__add_defines(unwind, defines);
}

struct bcc_module *tool_start(const struct cli_settings *settings, const void *tool_settings,
			       build_defines_fn build_defines, const char *bpf_text,
			       struct target *target, struct report_files *files,
			       struct unwind_tables **unwind, int *exit_code)
{
	struct bpf_defines defines = {0};
	struct bcc_module *program = NULL;
	int removed, err;

	*exit_code = 1;
	if (settings->print_ebpf) {
		*unwind = unwind_tables__new(settings->pid, settings->unwind, false, false);
		if (*unwind && !add_defines(settings, tool_settings, build_defines, settings->pid,
					    *unwind, &defines)) {
			bcc_module__print(stdout, bpf_text, &defines);
			*exit_code = 0;
		}
		goto out;
	}
	trace_session__handle_signals();
	if (!bcc_module__check_requirements())
		goto out;
	/* Before the target is started or anything attached: a bad path costs nothing. */
	if (report_files__create(files, settings))
		goto out;
	removed = uprobes__remove_stale();
	if (removed > 0)
		print_warning("removed %d uprobe events left behind by an earlier run that was killed",
			      removed);
	err = settings->command ? target__spawn(target, settings->command)
				: target__open(target, settings->pid, settings->tid);
	if (err)
		goto out;
	*unwind = unwind_tables__new(target->pid, settings->unwind, !settings->command,
				     settings->verbose);
	if (!*unwind ||
	    add_defines(settings, tool_settings, build_defines, target->pid, *unwind, &defines))
		goto out;
	program = bcc_module__compile(bpf_text, &defines);
	err = program ? unwind_tables__load(*unwind, program) : 0;
	if (err) {
		print_error("cannot load the unwind tables into the BPF maps: %s", strerror(-err));
		bcc_module__free(program);
		program = NULL;
	}
	/* Compiling takes seconds: the likeliest time for an impatient Ctrl-C. */
	if (program && trace_session__interrupted_at_start(exit_code)) {
		bcc_module__free(program);
		program = NULL;
	}
out:
	bpf_defines__free(&defines);
	return program;
}

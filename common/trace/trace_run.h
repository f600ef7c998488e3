/*
 * One trace, from the command line to the report: the steps every tool takes,
 * in the order trace_run() takes them. What a tool adds to them (its BPF
 * program and settings, its probes, its figures, the lines of its report) is
 * given by its struct tool.
 *
 *   trace_run__start    compile the BPF program for the target, open or start
 *                       the target, create the report files; the tool attaches
 *   trace_run__trace    "Tracing ...", then wait for the duration, Ctrl-C or
 *                       the target's exit, following what it maps
 *   trace_run__report   the tool collects; stacks as text, folded, JSON, SVG,
 *                       pprof (with -i, a pprof profile per interval too)
 *   trace_run__free     detach and clean up, whatever step failed
 */
#ifndef TRACE_RUN_H
#define TRACE_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "process/symbolizer.h"
#include "report/json_writer.h"
#include "trace/report_output.h"
#include "report/saved_report.h"
#include "report/stack_report.h"
#include "bpf/bcc_module.h"
#include "bpf/kernel_headers.h"
#include "trace/cli.h"
#include "trace/image_follower.h"
#include "trace/interval_sampler.h"
#include "trace/probe_cost.h"
#include "trace/process_table.h"
#include "trace/start_phases.h"
#include "trace/target.h"
#include "trace/traced_set.h"
#include "trace/trace_session.h"
#include "bpf/uprobes.h"
#include "unwind/unwind_tables.h"

struct trace_run;

/* How a tool's report speaks of its figures. */
struct report_words {
	const char *unit;		/* what a stack's value counts: "bytes", "pages" */
	const char *count_name;		/* the events behind it ("allocations"), or NULL */
	const char *held;		/* -i: what the series follow: "unfreed", "resident" */
	const char *traced;		/* "Tracing <traced> of PID ...": "unfreed allocations" */
	const char *events;		/* what the maps hold: "allocations", "faults" */
	const char *text_title;		/* the text report's: "with unfreed allocations" */
	const char *svg_title;		/* the flame graph's: "Unfreed allocations" */
	const struct pprof_kind *pprof;	/* --pprof's sample types */
};

/* What a tool adds to the shared steps. `tool` is its own state, given to each call. */
struct tool {
	const char *name;	/* program_name, in every message */
	/* Parses the command line into its settings, whose shared part it gives. */
	enum cli_result (*parse)(void *tool, int argc, char **argv,
				 const struct cli_settings **settings);
	const char *bpf_text;
	/* Its own -D settings (the run adds the target's and the stack map's): 0 or -errno. */
	int (*add_defines)(const void *tool, struct bpf_defines *defines);
	void (*words)(const void *tool, struct report_words *words);
	/*
	 * Attaches its probes to the compiled program, before the image follower
	 * starts; a -c command still waits at its gate. Prints why and returns
	 * -errno on failure.
	 */
	int (*attach)(void *tool, struct trace_run *run);
	/* Its work after each image event, once symbols and unwind tables are read, or NULL. */
	image_follow_fn follow;
	/*
	 * Whether the target can be traced now, once the follower has started: 0,
	 * -EAGAIN for a -c command that must run on to its next event, or -errno
	 * after saying why (a -c command that ended is `command_ended`). NULL: at
	 * once (a -c command at its exec).
	 */
	int (*check_ready)(void *tool, const struct trace_run *run, bool command_ended);
	/* The Tracing line says how many uprobes it attached, the summary what they cost. */
	bool counts_probes;
	/* Fills `report` from the maps: at the end, or (`at_end` false) -i's sample. */
	int (*collect)(void *tool, struct trace_run *run, struct stack_report *report, bool at_end);
	/* Its lines on stdout after the text report, or NULL. */
	void (*print_text)(void *tool, const struct trace_run *run);
	/* Its summary on stderr: totals, losses, RSS, warnings. */
	void (*print_summary)(void *tool, const struct trace_run *run);
	/* The --json report (report_output's begin, its fields, end): 0 or -errno. */
	int (*write_json)(void *tool, const struct trace_run *run, struct output_file *file);
	/* The modes its JSON names, ended by {0}: what --diff reads back. */
	const struct saved_mode *saved_modes;
};

struct trace_run {
	const struct tool *tool;
	void *tool_state;
	const struct cli_settings *settings;
	struct traced_set set;
	struct target target;		/* the one process or -c command; pid 0 for a set without */
	struct traced_scope scope;	/* the traced set, as the outputs name it */
	struct frame_naming naming;	/* how every process's frames are named */
	struct process_table processes;	/* a set's members, met at the start or in its events */
	struct process_totals *process_totals;	/* a set's, per process, at the report; else NULL */
	char traced_name[PATH_MAX + 64];	/* "PID 181 (redis-server)", "every process" */
	struct kernel_headers headers;	/* what the program compiles against */
	struct bcc_module *program;
	struct unwind_tables *unwind;
	struct report_files files;
	struct symbolizer *symbolizer;
	struct uprobe_set *probes;
	struct image_follower follower;
	struct trace_session session;
	struct interval_sampler sampler;
	struct report_words words;
	struct stack_report *report;
	struct start_phases phases;	/* for -v: where the start-up went */
	const struct emulation *emulation;	/* what uprobe hits cost here, once calibrated */
	struct probe_cost cost;		/* what the probes cost, with counts_probes */
};

/* How the stacks of one traced process are named and kept (trace_run__naming). */
struct stack_naming {
	struct symbolizer *symbolizer;		/* NULL once it exited: its frames are [unknown] */
	struct frame_origins *origins;		/* where names' origins go, for the flame graph */
	const struct stack_owner *owner;	/* NULL in a trace of one process */
	uint32_t exec_generation;		/* the image it runs now (image_follower.h) */
	bool exited;				/* during the trace: what it held is gone */
};

/* The naming of process `pid`'s stacks: 0, or -ENOMEM. */
int trace_run__naming(struct trace_run *run, pid_t pid, struct stack_naming *naming);

/*
 * A tool's whole run, as its man page tells it: parse the command line;
 * compile the BPF program for the target and attach; trace until the
 * duration, Ctrl-C or the target's exit; report; detach. With --diff, no
 * trace: two saved reports compared (diff_run.h). The exit code.
 */
int trace_run(const struct tool *tool, void *tool_state, int argc, char **argv);

/* The steps trace_run takes. What a step returns to go on; any other value is the exit code. */
#define TRACE_RUN_GO_ON (-1)

/*
 * With --ebpf, prints the program and returns 0. Otherwise checks the
 * requirements, creates the report files, opens the target (-p, -t) or
 * starts the command (-c), compiles the program with its unwind tables, lets
 * the tool attach, and for -c lets the command run to where the tool is ready
 * (held there). TRACE_RUN_GO_ON, or the exit code after saying why.
 */
int trace_run__start(struct trace_run *run, const struct tool *tool, void *tool_state,
		     const struct cli_settings *settings);

/* Prints "Tracing ...", lets a held command go, and waits for the end of the trace. */
int trace_run__trace(struct trace_run *run);

/* The tool's figures, written as the options ask: the exit code. */
int trace_run__report(struct trace_run *run);

/* Detaches everything and frees the run, whatever step it reached. */
void trace_run__free(struct trace_run *run);

#endif

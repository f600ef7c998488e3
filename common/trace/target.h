/*
 * The traced process: an existing one (-p PID, -t TID) or a command started
 * by the tool (-c), held at a gate until every probe is attached.
 */
#ifndef TARGET_H
#define TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	int pidfd;		/* readable once the process has exited */
	bool spawned;		/* -c: our child */
	bool held;		/* -c: stopped by the tool before its code runs */
	bool exited;
	int wait_status;	/* -c: how the child ended */
	int gate_fd;		/* -c: a byte written here lets the child exec */
	int exec_error_fd;	/* -c: EOF once exec succeeded, else the errno */
	char comm[64];		/* as the process set it: write it through untrusted_text */
	char printable_comm[4 * 64];	/* comm escaped, for messages */
	char exe_path[PATH_MAX];
};

/* No process yet (pid 0): a trace of a set that has no single target. */
void target__init(struct target *target);

/*
 * Checks that `pid` is a live user process other than ourselves. Prints the
 * reason and returns -errno when it is not.
 */
int target__check_process(pid_t pid);

/*
 * Checks that `pid` (and `tid`, if non-zero) is a live user process other than
 * ourselves and opens it. When `pid` is 0 the process is the one owning `tid`.
 * Prints the reason and returns -errno on failure.
 */
int target__open(struct target *target, pid_t pid, pid_t tid);

/*
 * Forks `command` (split like a shell would, without expansions of commands)
 * and leaves the child waiting at the gate. Prints the reason and returns
 * -errno on failure.
 */
int target__spawn(struct target *target, const char *command);

/* Lets a spawned child exec. Prints the reason and returns -errno if exec failed. */
int target__release(struct target *target);

/* True once the process has exited; reaps our child. */
bool target__has_exited(struct target *target);

/* How a spawned child that has exited ended: "exited with status 1", "killed by SIGSEGV". */
void target__describe_end(const struct target *target, char *text, size_t size);

/* The process's VmRSS in kB, or -1 once it is gone. */
long target__rss_kb(const struct target *target);

/*
 * -c: true if the child has stopped (the tool's probes stop it where it maps
 * new code); it is then held until target__continue. Notes an exit instead.
 */
bool target__take_stop(struct target *target);

/* Reads the command name again, after an exec changed it. */
void target__reread_comm(struct target *target);

/* Lets a held child (stopped while the tool attaches) run. */
void target__continue(struct target *target);

/*
 * Closes the handles. An unreleased child is told to exit instead of exec; a
 * held one, stopped before its code ran, is killed: tracing it failed.
 */
void target__close(struct target *target);

#endif

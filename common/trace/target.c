#include "trace/target.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include "base/errors.h"
#include "report/untrusted_text.h"
#include "process/proc_fields.h"

/* /proc/PID/stat flags: the task is a kernel thread (include/linux/sched.h). */
#define PF_KTHREAD 0x00200000

void target__init(struct target *target)
{
	memset(target, 0, sizeof(*target));
	target->pidfd = -1;
	target->gate_fd = -1;
	target->exec_error_fd = -1;
}

/* Keeps the escaped copy for messages in step with the name itself. */
static void set_comm(struct target *target, const char *comm)
{
	snprintf(target->comm, sizeof(target->comm), "%s", comm);
	untrusted_text__escape(target->comm, target->printable_comm, sizeof(target->printable_comm));
}

static void read_comm(struct target *target)
{
	char comm[sizeof(target->comm)];

	if (!proc_comm__read(target->pid, comm, sizeof(comm)))
		snprintf(comm, sizeof(comm), "%d", (int)target->pid);
	set_comm(target, comm);
}

/*
 * State letter and flags from /proc/PID/stat. The comm before them is the
 * process's choice, raw: it may hold spaces, ')' and newlines, so the file is
 * read whole and the fields start after its last ')'.
 */
static int read_stat(pid_t pid, char *state, unsigned long *flags)
{
	char line[4096];
	int length = proc_stat__read(pid, line, sizeof(line));

	if (length < 0)
		return length;
	return proc_stat__parse(line, state, flags) ? 0 : -EIO;
}

int target__check_process(pid_t pid)
{
	unsigned long flags;
	char state;
	int err;

	if (pid == getpid()) {
		print_error("cannot trace PID %d: it is %s itself (give the PID of the process to trace)",
			    (int)pid, program_name);
		return -EINVAL;
	}
	err = read_stat(pid, &state, &flags);
	if (err) {
		print_error("cannot trace PID %d: no such process (check the PID with ps)", (int)pid);
		return err;
	}
	if (flags & PF_KTHREAD) {
		print_error("cannot trace PID %d: it is a kernel thread, with no user memory (give the PID of a user process)",
			    (int)pid);
		return -EINVAL;
	}
	if (state == 'Z' || state == 'X') {
		print_error("cannot trace PID %d: it has exited and is a zombie (trace a running process)",
			    (int)pid);
		return -ESRCH;
	}
	return 0;
}

int target__open(struct target *target, pid_t pid, pid_t tid)
{
	char task_path[64];
	int err;

	target__init(target);
	if (tid) {
		pid_t owner = proc_status__read(tid, "Tgid");

		if (owner <= 0) {
			print_error("cannot trace TID %d: no such thread (check the TID with ps -L)",
				    (int)tid);
			return -ESRCH;
		}
		if (!pid)
			pid = owner;
		snprintf(task_path, sizeof(task_path), "/proc/%d/task/%d", (int)pid, (int)tid);
		if (owner != pid || access(task_path, F_OK)) {
			print_error("cannot trace TID %d: it is not a thread of PID %d (check with ps -L -p %d)",
				    (int)tid, (int)pid, (int)pid);
			return -ESRCH;
		}
	}
	err = target__check_process(pid);
	if (err)
		return err;
	target->pid = pid;
	target->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (target->pidfd < 0) {
		err = -errno;
		print_error("cannot trace PID %d: %s (check the PID with ps)", (int)pid, strerror(errno));
		return err;
	}
	read_comm(target);
	return 0;
}

/* execvp's search, done before the fork so that the tool knows the executable. */
static int find_executable(const char *name, char *path, size_t size)
{
	const char *search = getenv("PATH");
	const char *dir, *end;

	if (strchr(name, '/')) {
		snprintf(path, size, "%s", name);
		return access(path, X_OK) ? -errno : 0;
	}
	for (dir = search ? search : "/usr/local/bin:/usr/bin:/bin"; *dir; dir = end + (*end == ':')) {
		end = strchrnul(dir, ':');
		snprintf(path, size, "%.*s/%s", (int)(end - dir), end == dir ? "." : dir, name);
		if (!access(path, X_OK))
			return 0;
		if (!*end)
			break;
	}
	return -ENOENT;
}

/* The child: wait at the gate, then become the command. Never returns. */
static void run_child(int gate_fd, int exec_error_fd, const char *path, char **argv)
{
	char go;
	int err;

	/* EOF without a byte means the tool gave up: leave without running anything. */
	if (read(gate_fd, &go, 1) != 1)
		_exit(0);
	execv(path, argv);
	err = errno;
	if (write(exec_error_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int target__spawn(struct target *target, const char *command)
{
	int gate[2] = {-1, -1}, exec_error[2] = {-1, -1};
	wordexp_t words;
	pid_t child;
	int err;

	target__init(target);
	if (wordexp(command, &words, WRDE_NOCMD)) {
		print_error("cannot run command '%s': it is not a plain command line (quote it as one argument to -c)",
			    command);
		return -EINVAL;
	}
	if (words.we_wordc == 0) {
		print_error("cannot run command '%s': it is empty (give a program to -c)", command);
		err = -EINVAL;
		goto out;
	}
	err = find_executable(words.we_wordv[0], target->exe_path, sizeof(target->exe_path));
	if (err) {
		print_error("cannot run command '%s': %s (give its full path)", words.we_wordv[0],
			    strerror(-err));
		goto out;
	}
	if (pipe2(gate, O_CLOEXEC) || pipe2(exec_error, O_CLOEXEC)) {
		err = -errno;
		print_error("cannot run command: pipe: %s", strerror(errno));
		goto out;
	}
	child = fork();
	if (child < 0) {
		err = -errno;
		print_error("cannot run command: fork: %s", strerror(errno));
		goto out;
	}
	if (child == 0) {
		close(gate[1]);
		close(exec_error[0]);
		run_child(gate[0], exec_error[1], target->exe_path, words.we_wordv);
	}
	target->pid = child;
	target->spawned = true;
	target->gate_fd = gate[1];
	target->exec_error_fd = exec_error[0];
	gate[1] = exec_error[0] = -1;
	set_comm(target, basename(target->exe_path));
	/* Without it the trace could not see the command exit; target__close lets the child go. */
	target->pidfd = syscall(SYS_pidfd_open, child, 0);
	err = target->pidfd < 0 ? -errno : 0;
	if (err)
		print_error("cannot watch the command: pidfd_open: %s (Linux 5.3 or later is needed)",
			    strerror(-err));
out:
	if (gate[0] >= 0)
		close(gate[0]);
	if (gate[1] >= 0)
		close(gate[1]);
	if (exec_error[0] >= 0)
		close(exec_error[0]);
	if (exec_error[1] >= 0)
		close(exec_error[1]);
	wordfree(&words);
	return err;
}

int target__release(struct target *target)
{
	char go = 1;
	int exec_errno = 0;
	ssize_t got;

	if (write(target->gate_fd, &go, 1) != 1) {
		print_error("cannot start the command: %s", strerror(errno));
		return -EIO;
	}
	close(target->gate_fd);
	target->gate_fd = -1;
	do {
		got = read(target->exec_error_fd, &exec_errno, sizeof(exec_errno));
	} while (got < 0 && errno == EINTR);
	close(target->exec_error_fd);
	target->exec_error_fd = -1;
	if (got == sizeof(exec_errno)) {
		print_error("cannot run %s: %s (check the command)", target->exe_path,
			    strerror(exec_errno));
		target__has_exited(target);
		return -exec_errno;
	}
	return 0;
}

bool target__has_exited(struct target *target)
{
	struct pollfd exit_event = {.fd = target->pidfd, .events = POLLIN};

	if (target->exited)
		return true;
	if (!target->pid)
		return false;	/* a set of processes: it never ends as one */
	if (target->pidfd >= 0 && poll(&exit_event, 1, 0) <= 0)
		return false;
	if (target->spawned)
		waitpid(target->pid, &target->wait_status, 0);
	target->exited = true;
	return true;
}

void target__describe_end(const struct target *target, char *text, size_t size)
{
	int status = target->wait_status;

	if (WIFSIGNALED(status))
		snprintf(text, size, "killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(text, size, "exited with status %d", WEXITSTATUS(status));
}

long target__rss_kb(const struct target *target)
{
	return proc_status__read(target->pid, "VmRSS");
}

bool target__take_stop(struct target *target)
{
	int status;

	if (!target->spawned || target->exited ||
	    waitpid(target->pid, &status, WUNTRACED | WNOHANG) != target->pid)
		return false;
	if (WIFSTOPPED(status)) {
		target->held = true;
		return true;
	}
	target->exited = true;
	target->wait_status = status;
	return false;
}

void target__reread_comm(struct target *target)
{
	read_comm(target);
}

void target__continue(struct target *target)
{
	if (target->held && kill(target->pid, SIGCONT) == 0)
		target->held = false;
}

void target__close(struct target *target)
{
	if (target->held) {
		kill(target->pid, SIGKILL);
		waitpid(target->pid, NULL, 0);
		target->held = false;
		print_warning("stopped the command %s before it ran, since tracing could not start",
			      target->exe_path);
	}
	if (target->gate_fd >= 0) {
		close(target->gate_fd);
		target->gate_fd = -1;
		if (target->spawned)
			waitpid(target->pid, NULL, 0);
	}
	if (target->exec_error_fd >= 0)
		close(target->exec_error_fd);
	if (target->pidfd >= 0)
		close(target->pidfd);
	target->exec_error_fd = target->pidfd = -1;
}

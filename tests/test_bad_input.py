"""Bad input: one line naming the problem and the fix, the right exit code, nothing left attached."""
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (ToolTestCase, WaitingTarget, run_command, target_path,  # noqa: E402
                     tool_path)

USAGE, RUNTIME = 2, 1


def run_command_plain(args):
    """The tool with exactly these arguments (no --json added)."""
    return run_command("memstacks", args, json_report=False)


def a_kernel_thread():
    """kthreadd, or failing that any task flagged PF_KTHREAD."""
    for pid in ["2"] + sorted(os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                flags = int(f.read().rsplit(")", 1)[1].split()[6])
        except (OSError, ValueError, IndexError):
            continue
        if flags & 0x00200000:
            return int(pid)
    raise AssertionError("no kernel thread visible in /proc")


class BadInput(ToolTestCase):
    def assertOneLineError(self, run, exit_code, *words):
        self.assertEqual(run.returncode, exit_code, run)
        lines = run.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line on stderr: {run.stderr!r}")
        self.assertTrue(lines[0].startswith("memstacks: "), lines[0])
        for word in words:
            self.assertIn(word, lines[0])
        self.assertEqual(run.stdout, "", "errors go to stderr")

    def test_unknown_option(self):
        self.assertOneLineError(run_command_plain(["--frobnicate", "-p", "1"]), USAGE,
                                "unknown option '--frobnicate'", "--help")

    def test_option_without_value(self):
        self.assertOneLineError(run_command_plain(["-p"]), USAGE, "needs a value")

    def test_duration_not_a_number(self):
        for duration in ["ten", "5s", "0", "1.5", "", "99999999999"]:
            with self.subTest(duration=duration):
                self.assertOneLineError(run_command_plain(["-p", "1", duration]), USAGE,
                                        "invalid duration", "whole number of seconds")

    def test_negative_duration_is_not_an_option(self):
        self.assertOneLineError(run_command_plain(["-p", "1", "-1"]), USAGE, "unknown option '-1'")

    def test_bad_numbers(self):
        for args, words in [(["-p", "abc"], "invalid PID"), (["-p", "-5"], "invalid PID"),
                            (["-p", "1", "-T", "x"], "invalid --top"),
                            (["-p", "1", "--stack-storage-size", "0"], "--stack-storage-size"),
                            (["-p", "1", "--live-blocks", "1e6"], "--live-blocks"),
                            (["-t", "12x"], "invalid TID"),
                            (["-p", "1", "-i", "0"], "invalid --interval"),
                            (["-p", "1", "--min-age", "soon"], "invalid --min-age"),
                            (["-p", "1", "-a", "-i", "5"], "drop -a"),
                            (["-p", "1", "-a", "--min-age", "5"], "drop -a")]:
            with self.subTest(args=args):
                self.assertOneLineError(run_command_plain(args), USAGE, words)

    def test_targets_that_make_no_set(self):
        self.assertOneLineError(run_command_plain(["-p", "1", "-c", "true"]), USAGE,
                                "cannot be combined")
        self.assertOneLineError(run_command_plain(["--children"]), USAGE,
                                "--children follows", "-p or -c")
        self.assertOneLineError(run_command_plain(["--cgroup", "/tmp", "-p", "1"]), USAGE,
                                "cannot be combined")
        self.assertOneLineError(run_command_plain(["-p", "1,2", "-t", "1"]), USAGE,
                                "one thread")
        self.assertOneLineError(run_command_plain(["-p", "1,x"]), USAGE, "invalid PID 'x'")

    def test_thread_in_pid_list(self):
        # busy_threads keeps threads of its own; any one of them is not a process.
        target = WaitingTarget("busy_threads")
        try:
            threads = [int(t) for t in os.listdir(f"/proc/{target.pid}/task") if int(t) != target.pid]
            self.assertTrue(threads, "busy_threads has no thread of its own")
            run = run_command_plain(["-p", f"{os.getpid()},{threads[0]}"])
        finally:
            target.kill()
        self.assertOneLineError(run, RUNTIME, "is a thread, not a process", "-t")

    def test_cgroup_that_is_not_one(self):
        self.assertOneLineError(run_command_plain(["--cgroup", "/tmp"]), RUNTIME,
                                "not a cgroup v2 directory")
        self.assertOneLineError(run_command_plain(["--cgroup", "/nonexistent/cg"]), RUNTIME,
                                "cannot trace cgroup", "/sys/fs/cgroup")

    def test_pid_list_naming_a_missing_process(self):
        with open("/proc/sys/kernel/pid_max") as f:
            never_a_pid = int(f.read())
        self.assertOneLineError(run_command_plain(["-p", "%d,%d" % (os.getpid(), never_a_pid)]),
                                RUNTIME, "no such process", "ps")

    def test_nonexistent_pid(self):
        with open("/proc/sys/kernel/pid_max") as f:
            never_a_pid = int(f.read())
        self.assertOneLineError(run_command_plain(["-p", str(never_a_pid)]), RUNTIME,
                                "no such process", "ps")

    def test_exited_pid(self):
        child = subprocess.Popen(["true"])
        # Wait for the exit without reaping: the PID stays a zombie.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        try:
            self.assertOneLineError(run_command_plain(["-p", str(child.pid)]), RUNTIME,
                                    "zombie")
        finally:
            child.wait()
        self.assertOneLineError(run_command_plain(["-p", str(child.pid)]), RUNTIME,
                                "no such process")

    def test_kernel_thread(self):
        self.assertOneLineError(run_command_plain(["-p", str(a_kernel_thread())]), RUNTIME,
                                "kernel thread")

    def test_itself(self):
        # The only way to name the tool's own PID is from inside: a shell that execs it.
        run = subprocess.run(["sh", "-c", f'exec {tool_path("memstacks")} -p $$'],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, RUNTIME, run.stderr)
        self.assertIn("memstacks itself", run.stderr)

    def test_thread_of_another_process(self):
        target = WaitingTarget("ground_truth")
        try:
            run = run_command_plain(["-p", str(target.pid), "-t", str(os.getpid())])
        finally:
            target.kill()
        self.assertOneLineError(run, RUNTIME, "not a thread of PID")

    def test_not_root(self):
        target = WaitingTarget("ground_truth")
        try:
            run = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  "--inh-caps=-all", tool_path("memstacks"), "-p",
                                  str(target.pid)], capture_output=True, text=True)
        finally:
            target.kill()
        self.assertEqual(run.returncode, RUNTIME, run.stderr)
        self.assertRegex(run.stderr, r"^memstacks: .*permission denied \(run as root")
        # The whole host, the default, needs root all the more.
        for tool in ("memstacks", "pgfaultstacks"):
            run = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  "--inh-caps=-all", tool_path(tool)],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, RUNTIME, run.stderr)
            self.assertRegex(run.stderr, r"^%s: .*permission denied \(run as root" % tool)
            self.assertEqual(len(run.stderr.splitlines()), 1, run.stderr)

    def test_missing_kernel_headers(self):
        # In a private mount namespace, hide every kernel's headers behind empty directories.
        script = ('mount -t tmpfs none /lib/modules && mount -t tmpfs none /usr/src && '
                  'exec "$0" "$@"')
        run = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                              script, tool_path("memstacks"), "-c", "true"],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, RUNTIME, run.stderr)
        self.assertRegex(run.stderr, r"^memstacks: cannot compile the BPF program: no kernel headers"
                                     r" are installed, .* \(install kernel-devel on RPM")
        self.assertEqual(len(run.stderr.splitlines()), 1, run.stderr)

    def test_no_allocator_symbols(self):
        target = WaitingTarget("ground_truth_static_stripped")
        try:
            run = run_command_plain(["-p", str(target.pid)])
            self.assertOneLineError(run, RUNTIME, "no allocator functions",
                                    "statically linked without symbols")
            self.assertEqual(target.finish(), 0)
        finally:
            target.kill()
        # -c: the command runs to its end (its own lines on the shared stdout) without
        # mapping an allocator, and the one error line says how it ended.
        run = run_command_plain(["-c", target_path("ground_truth_static_stripped")])
        self.assertEqual(run.returncode, RUNTIME, run)
        self.assertRegex(run.stdout, r"^ready \d+\ndone\n$")
        self.assertRegex(run.stderr, r"^memstacks: command \S+ ended before it mapped an "
                                     r"allocator \(exited with status 0; nothing to trace\)\n$")

    def test_object_not_mapped(self):
        target = WaitingTarget("ground_truth")
        try:
            run = run_command_plain(["-p", str(target.pid), "-O", "libjemalloc.so.2"])
        finally:
            target.kill()
        self.assertOneLineError(run, RUNTIME, "libjemalloc.so.2", "-O")

    def test_command_not_found(self):
        self.assertOneLineError(run_command_plain(["-c", "no-such-command-here --x"]),
                                RUNTIME, "no-such-command-here", "full path")

    def test_unwritable_json(self):
        run = run_command_plain(["-c", target_path("ground_truth"), "--json",
                                        "/nonexistent-dir/out.json"])
        self.assertEqual(run.returncode, RUNTIME, run)
        self.assertIn("cannot write /nonexistent-dir/out.json", run.stderr)


class Interrupted(ToolTestCase):
    def test_sigterm_ends_the_trace_with_a_report(self):
        target = WaitingTarget("ground_truth")
        try:
            process = subprocess.Popen([tool_path("memstacks"), "-p", str(target.pid)],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            from harness import wait_for_tracing
            wait_for_tracing(process)
            target.run_work()
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
            self.assertEqual(process.returncode, 0, err)
            self.assertIn("10000 bytes in 10 allocations", out)
            self.assertIn("(interrupted)", err)
            self.assertEqual(target.finish(), 0)
        finally:
            target.kill()


if __name__ == "__main__":
    unittest.main()


class StaleProbes(ToolTestCase):
    """A run killed while libbcc's fallback held a named uprobe event leaves it in
    tracefs; the next run removes it. tracefs is mounted in a private mount
    namespace here, so the machine's own mounts stay as they were."""

    def test_next_run_removes_stale_events(self):
        libc = "/lib/x86_64-linux-gnu/libc.so.6"
        # PIDs stop below pid_max: this one is dead by construction.
        with open("/proc/sys/kernel/pid_max") as f:
            dead_pid = int(f.read()) + 1
        event = f"memstacks_0_bcc_{dead_pid}"
        script = f"""
            set -e
            [ -e /sys/kernel/tracing/uprobe_events ] || mount -t tracefs nodev /sys/kernel/tracing
            echo 'p:uprobes/{event} {libc}:0x1000' >> /sys/kernel/tracing/uprobe_events
            grep -q {event} /sys/kernel/tracing/uprobe_events
            "$0" -c "$1" > /dev/null
            if grep -q {event} /sys/kernel/tracing/uprobe_events; then echo STILL THERE; fi
        """
        run = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                              tool_path("memstacks"), target_path("ground_truth")],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertNotIn("STILL THERE", run.stdout)
        self.assertIn("removed 1 uprobe events left behind by an earlier run", run.stderr)

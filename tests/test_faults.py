"""Faults around a trace: the target dies, the tool is interrupted or killed,
tools come and go on a busy target. Through all of it the target must run on
unharmed, the report must say what happened, and nothing may stay attached."""
import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import ground_truth  # noqa: E402
from harness import (LINE_TIMEOUT_S, ToolTestCase, WaitingTarget, finish_tool,  # noqa: E402
                     read_line, read_until, start_tool, target_path,
                     text_mapping_differences, tool_path, wait_for_tracing)
from test_memstacks import GroundTruthMixin  # noqa: E402

ATTACH_CYCLES = 50
# The tools and modes the attach cycles go through, in turn.
CYCLE_COMMANDS = [("memstacks", []), ("memstacks", ["-a"]), ("pgfaultstacks", []),
                  ("memstacks", ["--probe-at-entry"])]


# Linux's fcntl to size a pipe, which Python 3.11's fcntl module does not name.
F_SETPIPE_SZ = 1031
PIPE_PAGE = 4096
WRITE_SYSCALL = 1


def wait_until_writing_stderr(pid):
    """Polls the kernel until `pid` is blocked in write(2) on fd 2."""
    deadline = time.monotonic() + LINE_TIMEOUT_S
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/syscall") as f:
            fields = f.read().split()
        if fields[:2] == [str(WRITE_SYSCALL), "0x2"]:
            return
        time.sleep(0.01)    # polling the kernel's state, not standing in for a signal
    raise AssertionError(f"PID {pid} never blocked writing to its stderr")


def json_file_for(test):
    """A report path in a directory that goes away with the test."""
    directory = tempfile.TemporaryDirectory()
    test.addCleanup(directory.cleanup)
    return os.path.join(directory.name, "report.json")


def trace_work(test, target, args=(), signals=(signal.SIGINT,)):
    """memstacks -p on `target` while it does its work, ended by `signals`; the run."""
    json_file = json_file_for(test)
    process = start_tool("memstacks", ["-p", str(target.pid), *args], json_file)
    head = wait_for_tracing(process)
    target.run_work()
    for signal_number in signals:
        process.send_signal(signal_number)
    run = finish_tool(process, head, json_file)
    test.assertEqual(target.finish(), 0, "the target must run on unharmed")
    return run


def run_untraced(name):
    """What `name` prints when nobody traces it, stopped as soon as it is ready."""
    process = subprocess.Popen([target_path(name)], stdout=subprocess.PIPE, text=True)
    read_line(process.stdout, "the ready line")
    process.send_signal(signal.SIGUSR1)
    output = read_until(process.stdout, "done", "the untraced run's end")
    process.wait()
    return output


class TargetDies(GroundTruthMixin, ToolTestCase):
    def trace_until_killed(self, tool, target_name):
        """`tool` -p on `target_name`, whose work is done when it is SIGKILLed mid-trace."""
        target = WaitingTarget(target_name)
        json_file = json_file_for(self)
        try:
            process = start_tool(tool, ["-p", str(target.pid)], json_file)
            head = wait_for_tracing(process)
            target.run_work()
            target.process.kill()
            run = finish_tool(process, head, json_file)
        finally:
            target.kill()
        self.assertEqual(run.json["end"], "target exited")
        return run

    def test_memstacks_reports_what_it_gathered(self):
        run = self.trace_until_killed("memstacks", "ground_truth")
        self.assertSitesExact(run, ground_truth.UNFREED)
        self.assertRegex(run.stderr, r"memstacks: \d+ bytes unfreed .* \(target exited\); nothing lost")

    def test_pgfaultstacks_reports_what_it_gathered(self):
        run = self.trace_until_killed("pgfaultstacks", "page_toucher")
        self.assertEqual(run.returncode, 0, run)
        self.assertFalse(run.json["residency_checked"])
        self.assertGreater(run.json["pages"], 0)
        self.assertIn("the target exited before the end", run.stderr)


class ToolInterrupted(GroundTruthMixin, ToolTestCase):
    def interrupt_while_attaching(self, tool, target_name):
        """SIGINT while the tool is held inside its attach step.

        The tool's stderr is a pipe filled to the brim before it starts, so
        its first -v line (written once something is attached and before
        "Tracing") blocks it in write(2); the signal comes then, and only
        then is the pipe drained."""
        target = WaitingTarget(target_name)
        read_end, write_end = os.pipe()
        try:
            fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_PAGE)
            os.write(write_end, b"\0" * PIPE_PAGE)
            process = subprocess.Popen([tool_path(tool), "-v", "-p", str(target.pid)],
                                       stdout=subprocess.PIPE, stderr=write_end, text=True)
            os.close(write_end)
            wait_until_writing_stderr(process.pid)
            process.send_signal(signal.SIGINT)
            with os.fdopen(read_end, "rb") as stderr:
                err = stderr.read().lstrip(b"\0").decode()
            out = process.stdout.read()
            process.wait(timeout=60)
            self.assertEqual(text_mapping_differences(target.pid, "libc"), 0)
            self.assertEqual(target.finish(), 0, "the target must run on unharmed")
        finally:
            target.kill()
        self.assertEqual(process.returncode, 128 + signal.SIGINT, err)
        self.assertIn(f"{tool}: interrupted by SIGINT before tracing began: detaching, no report",
                      err)
        self.assertNotIn("Tracing", err)
        self.assertEqual(out, "")

    def test_memstacks_interrupted_while_attaching(self):
        self.interrupt_while_attaching("memstacks", "ground_truth")

    def test_pgfaultstacks_interrupted_while_attaching(self):
        self.interrupt_while_attaching("pgfaultstacks", "page_toucher")

    def test_second_signal_while_reporting(self):
        """A SIGTERM on the heels of the SIGINT that ended the trace arrives while the
        report is gathered and symbolised: the report is still whole."""
        target = WaitingTarget("ground_truth")
        try:
            run = trace_work(self, target, signals=(signal.SIGINT, signal.SIGTERM))
        finally:
            target.kill()
        self.assertSitesExact(run, ground_truth.UNFREED)

    def test_killed_tool_leaves_the_target_unharmed(self):
        """SIGKILL cannot be caught: the kernel must take every probe away with the
        tool, and the next run must count exactly."""
        target = WaitingTarget("ground_truth")
        try:
            killed = start_tool("memstacks", ["-p", str(target.pid)])
            wait_for_tracing(killed)
            killed.kill()
            killed.wait()
            self.assertEqual(text_mapping_differences(target.pid, "libc"), 0,
                             "a breakpoint outlived the killed tool")
            run = trace_work(self, target)
        finally:
            target.kill()
        self.assertSitesExact(run, ground_truth.UNFREED)


class AttachCycles(ToolTestCase):
    def test_fifty_cycles_on_a_busy_target(self):
        """Tools attach and detach 50 times while four threads allocate and free;
        the target's output is then that of an untraced run."""
        untraced = run_untraced("busy_threads")
        target = WaitingTarget("busy_threads")
        try:
            for cycle in range(ATTACH_CYCLES):
                tool, args = CYCLE_COMMANDS[cycle % len(CYCLE_COMMANDS)]
                process = start_tool(tool, [*args, "-p", str(target.pid)])
                head = wait_for_tracing(process)
                process.send_signal(signal.SIGINT)
                run = finish_tool(process, head, None)
                self.assertEqual(run.returncode, 0, f"cycle {cycle}: {run}")
                self.assertIn("nothing lost, every figure exact", run.stderr, f"cycle {cycle}")
                self.assertIsNone(target.process.poll(), f"the target died in cycle {cycle}")
            self.assertEqual(text_mapping_differences(target.pid, "libc"), 0)
            self.assertEqual(target.run_work(), untraced)
            self.assertEqual(target.process.wait(timeout=60), 0)
        finally:
            target.kill()


class MapFull(ToolTestCase):
    def test_live_block_losses_are_counted_exactly(self):
        """100 blocks of 16 bytes stay live; the map holds 64: 36 are lost, and said so."""
        target = WaitingTarget("many_blocks")
        try:
            run = trace_work(self, target, ["--live-blocks", "64"])
        finally:
            target.kill()
        self.assertEqual(run.returncode, 0, run)
        self.assertEqual(run.json["total_bytes"], 64 * 16)
        self.assertEqual(run.json["lost"]["live_blocks"], 36)
        self.assertEqual(run.json["lost_events"], 36)
        self.assertEqual(run.json["exact"], {"total": False, "stacks": False})
        self.assertIn("1024 bytes unfreed in 64 allocations", run.stderr)
        self.assertIn("; 36 events lost: every figure is a lower bound", run.stderr)
        self.assertIn("36 allocations were not tracked: the live-block map was full "
                      "(raise --live-blocks)", run.stderr)


if __name__ == "__main__":
    unittest.main()

"""Runs the real tools against real target processes and checks what they leave behind.

Nothing here mocks the kernel: every test loads BPF programs and attaches
uprobes to a live process. Synchronisation is by signals and output lines
("ready", "Tracing", "done"), never by sleeping.
"""
import glob
import json
import os
import re
import select
import signal
import subprocess
import tempfile
import threading
import time
import unittest

ROOT = os.path.join(os.path.dirname(__file__), "..")
BUILD = os.environ.get("MEMSTACKS_BUILD", os.path.join(os.path.dirname(__file__), "..", "build"))
TARGETS = os.path.join(BUILD, "tests")
# Long enough for libbcc to compile a program on a loaded two-core machine.
LINE_TIMEOUT_S = 60


def tool_path(name):
    path = os.path.join(BUILD, name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is missing: build the project first")
    return path


def target_path(name):
    path = os.path.join(TARGETS, name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is missing: build the project first")
    return path


# What was read from each stream past its last complete line. A buffered
# readline() would hide such lines from select(), so streams are read raw.
_pending = {}


def read_line(stream, what, timeout_s=LINE_TIMEOUT_S):
    """The next line of `stream`, failing (not hanging) if none comes."""
    fd = stream.fileno()
    pending = _pending.get(fd, b"")
    while b"\n" not in pending:
        ready, _, _ = select.select([fd], [], [], timeout_s)
        if not ready:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise AssertionError(f"stream closed while waiting for {what}")
        pending += chunk
    line, _, rest = pending.partition(b"\n")
    _pending[fd] = rest
    return line.decode() + "\n"


def read_rest(stream):
    """Everything left in `stream` once its writer is done, after what read_line buffered."""
    fd = stream.fileno()
    data = _pending.pop(fd, b"")
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return data.decode()
        data += chunk


def read_until(stream, prefix, what):
    """Lines of `stream` up to and including the first that starts with `prefix`."""
    seen = []
    while True:
        line = read_line(stream, what)
        seen.append(line)
        if line.startswith(prefix):
            return seen


class WaitingTarget:
    """A target started with --wait: it runs its work on SIGUSR1 and exits on the next."""

    def __init__(self, name, *args, env=None, wrapper=()):
        """`name`: a target of build/tests, or a path to one; `wrapper`: a command
        that ends by exec'ing the target, its path and arguments appended."""
        path = name if os.path.isabs(name) else target_path(name)
        self.process = subprocess.Popen([*wrapper, path, "--wait", *args],
                                        stdout=subprocess.PIPE, text=True,
                                        env=dict(os.environ, **(env or {})))
        line = read_line(self.process.stdout, "the target's ready line")
        match = re.match(r"ready (\d+)", line)
        if not match:
            raise AssertionError(f"unexpected first line from target: {line!r}")
        self.pid = int(match.group(1))
        self.worked = False

    def run_work(self):
        """Lets the target work; the lines it printed up to "done"."""
        self.process.send_signal(signal.SIGUSR1)
        self.output = read_until(self.process.stdout, "done", "the target to finish its work")
        self.worked = True
        return self.output

    def finish(self):
        """Lets the target run to its end (its work first, if not done yet); its exit code."""
        if not self.worked:
            self.run_work()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)
        return self.process.wait(timeout=LINE_TIMEOUT_S)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Run:
    """One finished run of a tool."""

    def __init__(self, returncode, stdout, stderr, json_report):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.json = json_report

    def __repr__(self):
        return f"<exit {self.returncode}\nstderr:\n{self.stderr}\nstdout:\n{self.stdout[:3000]}>"


# Every tool process a test started, so that a failing test leaves none running.
_started = []


def start_tool(tool, args, json_file=None, wrapper=(), new_session=False):
    """The tool running with stdout and stderr piped, --json added when `json_file` is
    given; `wrapper`: a command that ends by exec'ing the tool, its command appended;
    `new_session`: in a process group of its own, as a terminal's job is."""
    command = [*wrapper, tool_path(tool), *args]
    if json_file:
        command += ["--json", json_file]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=new_session)
    _started.append(process)
    return process


def wait_for_tracing(process):
    """Stderr lines up to the "Tracing" line that says every probe is attached."""
    try:
        return read_until(process.stderr, "Tracing", "the Tracing line")
    except AssertionError:
        process.kill()
        raise AssertionError(f"no Tracing line; stdout: {read_rest(process.stdout)!r} "
                             f"stderr: {read_rest(process.stderr)!r}")


def finish_tool(process, head_lines, json_file, after_exit=None):
    """Waits for the tool, draining its output; `after_exit` runs once it has exited
    (a -c command that waits for a signal still holds the tool's stdout open)."""
    drained = {}
    readers = [threading.Thread(target=lambda name=name, stream=stream:
                                drained.__setitem__(name, read_rest(stream)))
               for name, stream in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    process.wait(timeout=LINE_TIMEOUT_S)
    if after_exit:
        after_exit()
    for reader in readers:
        reader.join(timeout=LINE_TIMEOUT_S)
    out, err = drained.get("out", ""), drained.get("err", "")
    report = None
    if json_file and os.path.exists(json_file) and os.path.getsize(json_file):
        with open(json_file) as f:
            report = json.load(f)
    return Run(process.returncode, out, "".join(head_lines) + err, report)


def trace_waiting_target(tool, target, args, end="interrupt", wrapper=()):
    """Attaches to `target`, lets it work, then ends the trace by SIGINT or by the target's exit."""
    with tempfile.TemporaryDirectory() as directory:
        json_file = os.path.join(directory, "report.json")
        process = start_tool(tool, ["-p", str(target.pid), *args], json_file, wrapper)
        head = wait_for_tracing(process)
        target.run_work()
        if end == "interrupt":
            process.send_signal(signal.SIGINT)
        else:
            target.finish()
        return finish_tool(process, head, json_file)


def trace_staying_command(tool, target_name, args=(), wrapper=()):
    """-c on a target run with --stay: it works at once, prints its lines up to
    "done" and waits for SIGUSR1; the trace ends by SIGINT. (run, target lines)"""
    with tempfile.TemporaryDirectory() as directory:
        json_file = os.path.join(directory, "report.json")
        process = start_tool(tool, ["-c", target_path(target_name) + " --stay", *args], json_file,
                             wrapper)
        head = wait_for_tracing(process)
        output = []
        while not output or not output[-1].startswith("done"):
            output.append(read_line(process.stdout, "the command's done line"))
        pid = int(output[0].split()[1])
        process.send_signal(signal.SIGINT)
        run = finish_tool(process, head, json_file,
                          after_exit=lambda: os.kill(pid, signal.SIGUSR1))
    return run, output


def run_command(tool, args, json_report=True, wrapper=()):
    """Runs the tool to completion (-c targets, bad input), with --json unless told not to."""
    with tempfile.TemporaryDirectory() as directory:
        json_file = os.path.join(directory, "report.json") if json_report else None
        process = start_tool(tool, args, json_file, wrapper)
        return finish_tool(process, [], json_file)



def svg_of_command(tool, target_name, directory):
    """(run, path) of `tool` -c running `target_name`, with --svg into `directory`."""
    svg = os.path.join(directory, "flamegraph.svg")
    return run_command(tool, ["-c", target_path(target_name), "--svg", svg]), svg


def svg_of_waiting_target(tool, target_name, directory):
    """(run, path) of `tool` -p on `target_name` --wait, with --svg into `directory`."""
    svg = os.path.join(directory, "flamegraph.svg")
    target = WaitingTarget(target_name)
    try:
        return trace_waiting_target(tool, target, ["--svg", svg]), svg
    finally:
        target.kill()


def text_mapping_differences(pid, path_fragment):
    """Bytes of an executable mapping of `pid` that differ from its file: a
    breakpoint (0xcc) left by a uprobe would show here."""
    differences = 0
    with open(f"/proc/{pid}/maps") as maps:
        mappings = [line.split() for line in maps]
    with open(f"/proc/{pid}/mem", "rb") as memory:
        for fields in mappings:
            if len(fields) < 6 or "x" not in fields[1] or path_fragment not in fields[5]:
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            offset = int(fields[2], 16)
            memory.seek(start)
            in_memory = memory.read(end - start)
            with open(f"/proc/{pid}/root{fields[5]}", "rb") as f:
                f.seek(offset)
                on_disk = f.read(end - start)
            differences += sum(1 for a, b in zip(in_memory, on_disk) if a != b)
    return differences


def bpf_program_names():
    """Every program our BPF sources define: uprobe programs and raw tracepoints
    (libbcc names those raw_tracepoint__NAME)."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, "bpf_src", "*")):
        with open(path) as f:
            text = f.read()
        names.update(re.findall(r"^int (\w+)\(struct pt_regs \*ctx\)", text, re.M))
        names.update("raw_tracepoint__" + name
                     for name in re.findall(r"^RAW_TRACEPOINT_PROBE\((\w+)\)", text, re.M))
    return sorted(names)


OUR_PROGRAMS = bpf_program_names()


def our_leftovers():
    """Anything of ours still in the kernel: named uprobe events, BPF programs."""
    # tracefs may not be mounted: read it through a mount of our own, in a
    # private mount namespace, so that the machine's mounts stay as they were.
    events = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                             "[ -e /sys/kernel/tracing/uprobe_events ] || "
                             "mount -t tracefs nodev /sys/kernel/tracing; "
                             "cat /sys/kernel/tracing/uprobe_events"],
                            capture_output=True, text=True, check=True)
    leftovers = [line.strip() for line in events.stdout.splitlines() if "stacks_" in line]
    programs = subprocess.run(["bpftool", "prog", "show"], capture_output=True, text=True, check=True)
    # BPF keeps the first 15 characters of a program's name.
    names = OUR_PROGRAMS + [name[:15] for name in OUR_PROGRAMS]
    ours = [name for name in re.findall(r"name (\S+)", programs.stdout) if name in names]
    leftovers += [f"BPF program {name}" for name in ours]
    return leftovers


# The kernel frees a raw tracepoint's program after an RCU grace period, some
# time after the tool's exit closed it: how long to let that happen.
RELEASE_DEADLINE_S = 10


def leftovers_after_release():
    """our_leftovers(), once the kernel has had its deadline to release what was closed."""
    deadline = time.monotonic() + RELEASE_DEADLINE_S
    leftovers = our_leftovers()
    while leftovers and time.monotonic() < deadline:
        time.sleep(0.05)    # polling the kernel's state, not standing in for a signal
        leftovers = our_leftovers()
    return leftovers


class ToolTestCase(unittest.TestCase):
    """Checks after every test that nothing of ours stayed attached."""

    def tearDown(self):
        while _started:
            process = _started.pop()
            if process.poll() is None:
                process.kill()
                process.wait()
        self.assertEqual(leftovers_after_release(), [], "probes or programs left behind")

    def assertRunOk(self, run):
        self.assertEqual(run.returncode, 0, run)

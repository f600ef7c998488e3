"""Processes of the machine as /proc shows them, for helpers that start many
and must prove at the end that each lived through a trace, then that none is
left. A process is known by its PID and its start time together, so a PID the
kernel gave again to another process is not taken for the one recorded.
"""
import os
import signal
import subprocess
import time
from collections import namedtuple

# How long a process may take to go once told to, on a loaded two-core machine.
GONE_DEADLINE_S = 30

Process = namedtuple("Process", "pid start_ticks")


def _stat_fields(pid):
    """/proc/PID/stat's fields after the comm (which may hold spaces and
    parentheses), or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()


def identify(pid):
    """The Process running as `pid` now; AssertionError if there is none."""
    fields = _stat_fields(pid)
    if fields is None:
        raise AssertionError(f"PID {pid} is not running")
    # Field 22 of stat, the 20th after the comm: start time in clock ticks.
    return Process(pid, int(fields[19]))


def alive(process):
    """True while `process` runs: same start time, and not a zombie."""
    fields = _stat_fields(process.pid)
    return fields is not None and fields[0] != "Z" and int(fields[19]) == process.start_ticks


def children(pid):
    """The PIDs whose parent is `pid` (this kernel has no /proc/PID/task/TID/children)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry))
    return sorted(found)


def parent(pid):
    fields = _stat_fields(pid)
    if fields is None:
        raise AssertionError(f"PID {pid} is not running")
    return int(fields[1])


def command_line(pid):
    """/proc/PID/cmdline as one string ("" once gone): servers set their titles there."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def wait_or_kill(popen, timeout_s=GONE_DEADLINE_S):
    """Waits for the subprocess.Popen `popen` to exit after it was told to,
    killing it if it has not by `timeout_s`."""
    try:
        popen.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()


def log_tail(path):
    """The end of a server's log file, for an error message."""
    try:
        with open(path) as log:
            return log.read()[-2000:]
    except OSError:
        return "(no log)"


def wait_gone(processes, deadline_s=GONE_DEADLINE_S):
    """Waits for each of `processes` to end; those still running at the deadline
    are killed, and named in the AssertionError raised then."""
    deadline = time.monotonic() + deadline_s
    while any(map(alive, processes)) and time.monotonic() < deadline:
        time.sleep(0.05)    # polling the kernel's state: not every one is our child
    left = [process for process in processes if alive(process)]
    for process in left:
        try:
            os.kill(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if left:
        raise AssertionError("still running after "
                             f"{deadline_s} s, killed: "
                             + ", ".join(f"{p.pid} ({command_line(p.pid)})" for p in left))

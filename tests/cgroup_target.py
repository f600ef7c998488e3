"""A temporary cgroup v2 directory for the tests of --cgroup: processes
started in it, others moved in while a trace runs, removed with all it holds.

The cgroup2 hierarchy is wherever it is mounted: /sys/fs/cgroup on a unified
host, /sys/fs/cgroup/unified on a hybrid one (systemd's legacy layout, as on
this machine), where /sys/fs/cgroup is a tmpfs of v1 controllers. A process's
v2 cgroup is the "0::" line of /proc/PID/cgroup either way.
"""
import os
import signal
import subprocess
import tempfile
import time

import host_processes

# How long the kernel may take to empty a cgroup of processes killed or moved.
EMPTY_DEADLINE_S = 30


def cgroup2_root():
    """Where the cgroup2 hierarchy is mounted; AssertionError if it is not."""
    with open("/proc/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1]
    raise AssertionError("no cgroup2 hierarchy mounted (mount -t cgroup2 none /sys/fs/cgroup)")


def cgroup_of(pid):
    """The v2 cgroup of `pid`, as a path inside the hierarchy ("/a/b")."""
    with open(f"/proc/{pid}/cgroup") as cgroups:
        for line in cgroups:
            if line.startswith("0::"):
                return line[3:].rstrip("\n")
    raise AssertionError(f"PID {pid} has no cgroup v2 line")


class Cgroup:
    """A new cgroup below `parent` (the hierarchy's root by default), removed by
    remove(). `path` is its directory, what --cgroup takes; `name` its path
    inside the hierarchy, as /proc/PID/cgroup shows it."""

    def __init__(self, parent=None):
        parent = parent or cgroup2_root()
        # mkdtemp's name is unique and its mkdir atomic; the kernel gives the
        # directory the cgroup's own mode, whatever mkdtemp asked.
        self.path = tempfile.mkdtemp(prefix="memstacks-test-", dir=parent)
        self.name = "/" + os.path.relpath(self.path, cgroup2_root())
        self.started = []
        self.joined = {}    # PID -> the cgroup directory it came from
        self.children = []

    def __enter__(self):
        return self

    @property
    def id(self):
        """The cgroup's id, as bpf_get_current_cgroup_id() gives it: its inode."""
        return os.stat(self.path).st_ino

    def __exit__(self, *exc):
        self.remove()

    def child(self):
        """A cgroup nested in this one (a descendant --cgroup must include)."""
        nested = Cgroup(self.path)
        self.children.append(nested)
        return nested

    def command(self, argv):
        """`argv` wrapped to run in this cgroup from its first instruction: the
        shell moves itself in, then execs it (so the PID is the command's). A
        wrapper for harness.WaitingTarget: its ready line comes after the move."""
        return ["sh", "-c", 'echo 0 > "$0/cgroup.procs" && exec "$@"', self.path, *argv]

    def popen(self, argv, **popen_args):
        """subprocess.Popen of `argv`, returned once it is in this cgroup; ended
        by remove() if still running."""
        process = subprocess.Popen(self.command(argv), **popen_args)
        self.started.append(process)
        deadline = time.monotonic() + EMPTY_DEADLINE_S
        while process.poll() is None and cgroup_of(process.pid) != self.name:
            if time.monotonic() > deadline:
                raise AssertionError(f"PID {process.pid} did not move into {self.path}")
            time.sleep(0.01)    # polling the kernel's state: the shell moves itself in
        return process

    def join(self, pid):
        """Moves the running process `pid` (all its threads) in; remove() moves it
        back where it was."""
        self.joined.setdefault(pid, os.path.join(cgroup2_root(), cgroup_of(pid).lstrip("/")))
        with open(os.path.join(self.path, "cgroup.procs"), "w") as procs:
            procs.write(f"{pid}\n")

    def pids(self):
        """The processes in this cgroup and its descendants, sorted."""
        found = []
        for directory, _, _ in os.walk(self.path):
            with open(os.path.join(directory, "cgroup.procs")) as procs:
                found += [int(line) for line in procs]
        return sorted(found)

    def remove(self):
        """Moves joined processes back where they were, with what they forked in
        here (a server's new connections); kills the rest, which the test
        started; waits for the cgroup to be empty and removes it, descendants
        first."""
        for nested in self.children:
            nested.remove()
        self.children = []
        for pid in self.pids():
            origin = self._joined_origin(pid)
            if origin:
                self._move(pid, origin)
        self.joined = {}
        self._kill_all()
        for process in self.started:
            process.wait()
        self.started = []
        deadline = time.monotonic() + EMPTY_DEADLINE_S
        while self._populated():
            if time.monotonic() > deadline:
                raise AssertionError(f"cgroup {self.path} still holds {self.pids()}")
            time.sleep(0.05)    # polling the kernel's state: killed processes end soon after
        if os.path.isdir(self.path):
            os.rmdir(self.path)

    def _joined_origin(self, pid):
        """Where the joined process that is `pid` or its ancestor came from, or None."""
        try:
            while pid > 1:
                if pid in self.joined:
                    return self.joined[pid]
                pid = host_processes.parent(pid)
        except AssertionError:
            pass    # it ended meanwhile
        return None

    def _kill_all(self):
        """SIGKILL to everything in the cgroup: by cgroup.kill (Linux 5.14), which
        also takes what forks meanwhile, else one by one."""
        kill_file = os.path.join(self.path, "cgroup.kill")
        if os.path.exists(kill_file):
            with open(kill_file, "w") as kill:
                kill.write("1\n")
            return
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _populated(self):
        if not os.path.isdir(self.path):
            return False
        with open(os.path.join(self.path, "cgroup.events")) as events:
            return "populated 1" in events.read()

    @staticmethod
    def _move(pid, directory):
        """`pid` into the cgroup `directory`, at teardown: a process that ended
        meanwhile, or whose cgroup went, is let be."""
        try:
            with open(os.path.join(directory, "cgroup.procs"), "w") as procs:
                procs.write(f"{pid}\n")
        except (ProcessLookupError, FileNotFoundError):
            pass

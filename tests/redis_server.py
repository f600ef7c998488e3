"""A private redis-server for the tests and the benchmark: loopback only, on a
port nobody else holds, no persistence, its files in a directory of its own.

Readiness is a PONG from the server, never a sleep. Errors are AssertionError,
as in harness.py: a test reports them as failures, the benchmark as its reason
to stop.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from host_processes import log_tail, wait_or_kill

REDIS_SERVER = "redis-server"
REDIS_CLI = "redis-cli"
REDIS_BENCHMARK = "redis-benchmark"
# Generous for a loaded two-core machine: the server is up in milliseconds.
START_TIMEOUT_S = 30
REPLY_TIMEOUT_S = 60


def require_redis():
    """Fails with the install hint when the redis packages are missing."""
    for program in (REDIS_SERVER, REDIS_CLI, REDIS_BENCHMARK):
        if not shutil.which(program):
            raise AssertionError(f"{program} is missing: scripts/install-deps.sh tests installs "
                                 "redis-server and redis-tools")


def free_port():
    """A loopback port the kernel has just found free (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for PID {pid}")


class RedisServer:
    """redis-server started in the foreground (its PID is ours to trace), stopped by stop()."""

    def __init__(self):
        require_redis()
        self.directory = tempfile.mkdtemp(prefix="memstacks-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--dir", self.directory, "--logfile", os.path.join(self.directory, "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.process.pid
        try:
            self.wait_ready()
        except AssertionError:
            self.stop()
            raise

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while self.ping() != "PONG":
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server exited with {self.process.returncode}: "
                                     f"{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"redis-server gave no PONG within {START_TIMEOUT_S} s")
            time.sleep(0.05)    # polling for the server's first reply, not standing in for it

    def cli(self, *args, check=True):
        """redis-cli's reply to one command, without the final newline."""
        done = subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(self.port), *args],
                              capture_output=True, text=True, timeout=REPLY_TIMEOUT_S)
        if check and done.returncode != 0:
            raise AssertionError(f"redis-cli {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.rstrip("\n")

    def ping(self):
        return self.cli("ping", check=False)

    def info(self, *sections):
        """INFO as a dict of its fields, values as text ("db0" is "keys=3,expires=0,...")."""
        fields = {}
        for line in self.cli("info", *sections).splitlines():
            name, colon, value = line.strip().partition(":")
            if colon and not name.startswith("#"):
                fields[name] = value
        return fields

    def allocator_stats(self):
        """jemalloc's allocated, active (in pages handed out) and resident bytes, read now.

        INFO's allocator_* fields are copies serverCron refreshes ten times a
        second, so next to an RSS reading they may be stale; MEMORY
        MALLOC-STATS asks jemalloc itself (it advances jemalloc's stats epoch).
        """
        stats = self.cli("memory", "malloc-stats")
        found = re.search(r"^Allocated: (\d+), active: (\d+), metadata: \d+.*, resident: (\d+),",
                          stats, re.MULTILINE)
        if not found:
            raise AssertionError(f"no jemalloc totals in MEMORY MALLOC-STATS: {stats[:200]}")
        return dict(zip(("allocated", "active", "resident"), map(int, found.groups())))

    def benchmark(self, *args):
        """redis-benchmark against this server; its stdout."""
        done = subprocess.run([REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(self.port), *args],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            state = ("running" if self.process.poll() is None
                     else f"exited with {self.process.returncode}")
            raise AssertionError(f"redis-benchmark {' '.join(args)} failed: "
                                 f"{done.stderr.strip()[-500:]}; the server is {state}; "
                                 f"its log ends: {self.log()}")
        return done.stdout

    def log(self):
        return log_tail(os.path.join(self.directory, "redis.log"))

    def stop(self):
        """SHUTDOWN NOSAVE, or a kill if the server does not answer; its directory removed."""
        if self.process.poll() is None:
            self.cli("shutdown", "nosave", check=False)
            wait_or_kill(self.process, REPLY_TIMEOUT_S)
        shutil.rmtree(self.directory, ignore_errors=True)

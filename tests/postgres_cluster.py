"""A private PostgreSQL cluster for the tests: initdb into a directory of its
own as the postgres user, no TCP (listen_addresses ''), its unix socket in
that directory under a port nobody else holds, stopped and removed by stop().

PostgreSQL forks a backend process per connection: a session opened while a
trace runs is a process the target set must take in (--children of the
postmaster, --cgroup, host-wide). PostgresSession is one such connection, a
psql whose backend's PID it knows and can make grow by a known amount.
Readiness is pg_ctl's -w, or a query's answer, never a sleep.
"""
import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile

import host_processes
from harness import read_line
from redis_server import free_port

START_TIMEOUT_S = 60
REPLY_TIMEOUT_S = 60
BLOCK_BYTES = 8192
# What a backend's busy loop asks, each time: a 66 kB string built and dropped.
BUSY_QUERY = "SELECT length(string_agg(md5(i::text), ',')) FROM generate_series(1, 2000) AS i"
BUSY_INTERVAL_S = 0.05


def bin_directory():
    """The newest server version's programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(re.search(r"/(\d+)/bin/", path).group(1)))
    if not found:
        raise AssertionError("PostgreSQL is missing: scripts/install-deps.sh tests installs "
                             "postgresql and postgresql-client")
    return os.path.dirname(found[-1])


def _as_postgres():
    """Popen arguments that run a command as the postgres user: initdb and the
    server refuse root."""
    user = pwd.getpwnam("postgres")
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [],
            "env": dict(os.environ, HOME=user.pw_dir, USER="postgres")}


class PostgresCluster:
    """A started cluster: `postmaster_pid`, `port`, `socket_directory`; stop() ends it."""

    def __init__(self):
        self.bin = bin_directory()
        self.directory = tempfile.mkdtemp(prefix="memstacks-postgres-")
        self.data = os.path.join(self.directory, "data")
        self.socket_directory = self.directory
        self.port = free_port()
        self.postmaster_pid = None
        user = pwd.getpwnam("postgres")
        os.chown(self.directory, user.pw_uid, user.pw_gid)
        try:
            self._postgres("initdb", "-D", self.data, "--auth=trust", "-U", "postgres",
                           "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
            with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
                conf.write(f"listen_addresses = ''\nport = {self.port}\n"
                           f"unix_socket_directories = '{self.socket_directory}'\n"
                           "shared_buffers = 32MB\nfsync = off\n")
            self._postgres("pg_ctl", "-D", self.data, "-l", self.log_path(), "-w",
                           "-t", str(START_TIMEOUT_S), "start")
            with open(os.path.join(self.data, "postmaster.pid")) as pid_file:
                self.postmaster_pid = int(pid_file.readline())
        except AssertionError:
            self.stop()
            raise

    def _postgres(self, program, *args):
        done = subprocess.run([os.path.join(self.bin, program), *args], capture_output=True,
                              text=True, timeout=START_TIMEOUT_S, cwd=self.directory,
                              **_as_postgres())
        if done.returncode != 0:
            raise AssertionError(f"{program} failed ({done.returncode}): {done.stderr.strip()} "
                                 f"{self.log()}")
        return done.stdout

    def psql_command(self, *args):
        """psql over the cluster's socket, as its superuser, quiet, rows unaligned."""
        return [os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", self.socket_directory, "-p", str(self.port), "-U", "postgres",
                "-d", "postgres", *args]

    def query(self, sql):
        """The rows of one query, in a connection of its own, as lines."""
        done = subprocess.run(self.psql_command("-c", sql), capture_output=True, text=True,
                              timeout=REPLY_TIMEOUT_S)
        if done.returncode != 0:
            raise AssertionError(f"psql -c {sql!r} failed: {done.stderr.strip()}")
        return done.stdout.splitlines()

    def children(self):
        """The postmaster's children now: its own processes and a backend per session."""
        return host_processes.children(self.postmaster_pid)

    def connect(self):
        """A new session, its backend forked now: a PostgresSession."""
        return PostgresSession(self)

    def log_path(self):
        return os.path.join(self.directory, "postgres.log")

    def log(self):
        return host_processes.log_tail(self.log_path())

    def stop(self):
        """A fast shutdown (sessions ended, no checkpoint wait), and the
        directory removed once no process of the cluster is left."""
        try:
            if self.postmaster_pid and os.path.exists(os.path.join(self.data, "postmaster.pid")):
                processes = [host_processes.identify(pid)
                             for pid in [self.postmaster_pid, *self.children()]
                             if os.path.exists(f"/proc/{pid}")]
                self._postgres("pg_ctl", "-D", self.data, "-m", "fast", "-w",
                               "-t", str(START_TIMEOUT_S), "stop")
                host_processes.wait_gone(processes)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


class PostgresSession:
    """One psql connection kept open: `pid` is its backend's, `client_pid` psql's.
    Queries go one at a time through its stdin; close() ends it and waits for
    the backend to go."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.client = subprocess.Popen(cluster.psql_command(), stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.client_pid = self.client.pid
        self.pid = int(self.query("SELECT pg_backend_pid()")[0])
        self.backend = host_processes.identify(self.pid)
        self.grown = False
        self.busy = False

    def query(self, sql):
        """The rows of `sql` (one statement) as lines, once the backend has answered:
        a marker row follows every query, so the reply's end is a line, not a pause."""
        marker = "memstacks-query-done"
        self.client.stdin.write(f"{sql};\nSELECT '{marker}';\n".encode())
        self.client.stdin.flush()
        rows = []
        while True:
            try:
                line = read_line(self.client.stdout, f"psql's answer to {sql!r}",
                                 REPLY_TIMEOUT_S).rstrip("\n")
            except AssertionError as error:
                raise AssertionError(f"{error}; psql said: {self._stderr()}") from None
            if line == marker:
                return rows
            rows.append(line)

    def grow(self, grow_bytes):
        """Makes the backend allocate `grow_bytes` more (rounded up to 8 kB blocks)
        and hold it until close(): a temporary table larger than temp_buffers
        fills every local buffer, allocated once per session and never freed.
        The bytes PostgreSQL says its LocalBufferContext holds (its local
        buffers: the memory that grew); AssertionError if short of grow_bytes."""
        if self.grown:
            raise AssertionError("temp_buffers is fixed at a session's first temporary table: "
                                 "grow a session once")
        blocks = -(-grow_bytes // BLOCK_BYTES)
        # About seven 1 kB rows fit a block: eight a block more than fills them.
        rows = (blocks + 16) * 8
        self.query(f"SET temp_buffers = {blocks}")
        self.query("CREATE TEMPORARY TABLE memstacks_grow AS "
                   f"SELECT repeat('x', 1000) AS filler FROM generate_series(1, {rows})")
        self.grown = True
        held = int(self.query("SELECT sum(total_bytes) FROM pg_backend_memory_contexts "
                              "WHERE name = 'LocalBufferContext'")[0])
        if held < blocks * BLOCK_BYTES:
            raise AssertionError(f"backend {self.pid} holds {held} bytes of local buffers, "
                                 f"not {blocks * BLOCK_BYTES}")
        return held

    def keep_busy(self):
        """From now on the backend answers BUSY_QUERY every BUSY_INTERVAL_S
        (psql's \\watch, its output to /dev/null) until close(): the session
        takes no other query. psql exits if a query fails (ON_ERROR_STOP), so
        a live client means a backend still answering."""
        self.client.stdin.write(f"\\o /dev/null\n{BUSY_QUERY} \\watch {BUSY_INTERVAL_S}\n"
                                .encode())
        self.client.stdin.flush()
        self.busy = True

    def close(self):
        """Ends the session (\\q, or SIGTERM to a busy psql) and waits for psql
        and the backend to go."""
        if self.client.poll() is None:
            try:
                if self.busy:
                    self.client.terminate()
                else:
                    self.client.stdin.write(b"\\q\n")
                self.client.stdin.close()
            except BrokenPipeError:
                pass
            host_processes.wait_or_kill(self.client, REPLY_TIMEOUT_S)
        self.client.stdout.close()
        self.client.stderr.close()
        host_processes.wait_gone([self.backend])

    def _stderr(self):
        if self.client.poll() is None:
            return "(psql still running)"
        return self.client.stderr.read().decode(errors="replace").strip()

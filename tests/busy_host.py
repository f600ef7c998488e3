"""A busy host for the tests of a target set (host-wide, -p with several
PIDs, --children, --cgroup): over twenty real processes that allocate while a
trace runs, each proven unharmed at its end, none left behind.

    with BusyHost() as host:
        ... start a tool, wait for "Tracing" ...
        session = host.open_growing_session(32 << 20)   # a backend forked now
        ... session.pid grew by session.grown_bytes; end the trace ...
        session.close()
        host.check_unharmed()

What runs, all as root's children unless said: redis-server; nginx's master
and its workers (as nobody); a PostgreSQL cluster (as postgres: the
postmaster, its own processes, and a backend per session) with sessions whose
backends answer a query every 50 ms, each through a psql; and python3 clients
that allocate and free in a loop, two of them also talking to redis and
nginx. The servers are private (their own port and directory); nothing is
timed by sleeps: each is ready when it answers.
"""
import contextlib
import os
import subprocess
import sys

import host_processes
from harness import read_line
from nginx_server import NginxServer
from postgres_cluster import BUSY_INTERVAL_S, PostgresCluster
from redis_server import RedisServer

BUSY_CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets", "busy_client.py")
# A busy backend that has not started a query for this long is stuck: it
# starts one every 50 ms, and a traced, loaded two-core machine is slow.
STUCK_AFTER_S = 30
# PostgreSQL starts these and lets them end by themselves: not ours to watch.
TRANSIENT_TITLES = ("autovacuum worker",)


class BusyClient:
    """tests/targets/busy_client.py in `mode` (churn, redis PORT, http PORT); it
    runs until close() closes its stdin."""

    def __init__(self, *args):
        self.args = args
        self.process = subprocess.Popen([sys.executable, BUSY_CLIENT, *map(str, args)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.pid = self.process.pid
        try:
            read_line(self.process.stdout, f"busy_client {args}'s ready line")
        except AssertionError as error:
            self.close()
            raise AssertionError(f"{error}: {self.problem()}") from None

    def problem(self):
        """Why it is not running, or None while it runs."""
        if self.process.poll() is None:
            return None
        return (f"busy_client {' '.join(map(str, self.args))} exited with "
                f"{self.process.returncode}: {self.process.stderr.read().decode().strip()}")

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            host_processes.wait_or_kill(self.process)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()


class BusyHost:
    """Starts everything at once (AssertionError if anything fails to start,
    with what did start stopped); stop() or the end of a `with` ends it."""

    def __init__(self, nginx_workers=4, postgres_sessions=3, churners=2):
        self._teardown = contextlib.ExitStack()
        self._growing = []
        try:
            self.redis = RedisServer()
            self._teardown.callback(self.redis.stop)
            self.nginx = NginxServer(nginx_workers)
            self._teardown.callback(self.nginx.stop)
            self.postgres = PostgresCluster()
            self._teardown.callback(self.postgres.stop)
            self.sessions = []
            for _ in range(postgres_sessions):
                session = self.postgres.connect()
                self._teardown.callback(session.close)
                session.keep_busy()
                self.sessions.append(session)
            self.clients = []
            for args in [("redis", self.redis.port), ("http", self.nginx.port),
                         *[("churn",)] * churners]:
                client = BusyClient(*args)
                self._teardown.callback(client.close)
                self.clients.append(client)
            self.members = self._members()
        except BaseException:
            self._teardown.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _members(self):
        """{Process: role} of everything started, read once all is running."""
        roles = {self.redis.pid: "redis-server", self.nginx.pid: "nginx master",
                 self.postgres.postmaster_pid: "postgres postmaster"}
        roles.update((pid, "nginx worker") for pid in self.nginx.worker_pids())
        busy_backends = {session.pid for session in self.sessions}
        for pid in self.postgres.children():
            title = host_processes.command_line(pid)
            if pid in busy_backends:
                roles[pid] = "postgres busy backend"
            elif title and not any(word in title for word in TRANSIENT_TITLES):
                roles[pid] = title
        roles.update((session.client_pid, "psql of a busy session") for session in self.sessions)
        roles.update((client.pid, "busy_client " + " ".join(map(str, client.args)))
                     for client in self.clients)
        return {host_processes.identify(pid): role for pid, role in roles.items()}

    def pids(self):
        """The PIDs of every process started, sorted (sessions opened later apart)."""
        return sorted(process.pid for process in self.members)

    def roles(self):
        """{pid: what it is}, e.g. "nginx worker", "postgres: checkpointer"."""
        return {process.pid: role for process, role in self.members.items()}

    def open_growing_session(self, grow_bytes):
        """A new PostgreSQL session, its backend forked by the postmaster now,
        grown by `grow_bytes` (PostgresSession.grow) and then idle, holding it:
        `.pid` the backend, `.grown_bytes` what PostgreSQL says it holds. End it
        with its close(); stop() ends any left open."""
        session = self.postgres.connect()
        self._growing.append(session)
        session.grown_bytes = session.grow(grow_bytes)
        return session

    def check_unharmed(self):
        """AssertionError naming every process that died and every server that
        no longer answers: redis PING, nginx GET /, PostgreSQL SELECT 1 and
        each busy backend still starting queries, each client still running."""
        problems = [f"{role} (PID {process.pid}) died"
                    for process, role in self.members.items() if not host_processes.alive(process)]
        if self.redis.ping() != "PONG":
            problems.append("redis does not answer PING")
        if not self.nginx.answers():
            problems.append(f"nginx does not answer GET /: {self.nginx.log()}")
        try:
            if self.postgres.query("SELECT 1") != ["1"]:
                problems.append("PostgreSQL does not answer SELECT 1")
            problems += self._stuck_backends()
        except AssertionError as error:
            problems.append(str(error))
        problems += [client.problem() for client in self.clients if client.problem()]
        if problems:
            raise AssertionError("the busy host was harmed: " + "; ".join(problems))

    def _stuck_backends(self):
        pids = ",".join(str(session.pid) for session in self.sessions)
        rows = self.postgres.query("SELECT pid, extract(epoch FROM clock_timestamp() - "
                                   f"query_start) FROM pg_stat_activity WHERE pid IN ({pids})")
        since = {int(pid): float(age) for pid, age in (row.split("|") for row in rows)}
        return [f"busy backend {session.pid} has started no query for "
                f"{since.get(session.pid, 'ever')} s (one every {BUSY_INTERVAL_S} s)"
                for session in self.sessions
                if since.get(session.pid, STUCK_AFTER_S) >= STUCK_AFTER_S]

    def stop(self):
        """Ends everything, sessions first, servers last; AssertionError if a
        process is still running then (it is killed) or a directory is left."""
        directories = [self.redis.directory, self.nginx.directory, self.postgres.directory]
        try:
            for session in self._growing:
                session.close()
            self._growing = []
        finally:
            self._teardown.close()
        host_processes.wait_gone(list(self.members))
        left = [directory for directory in directories if os.path.exists(directory)]
        if left:
            raise AssertionError(f"directories left behind: {left}")

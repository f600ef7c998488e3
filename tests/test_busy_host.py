"""busy_host.BusyHost does what the target-set tests rely on: no tool runs
here, no BPF is loaded."""
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import host_processes  # noqa: E402
from busy_host import BusyHost  # noqa: E402
from redis_server import rss_kb  # noqa: E402

GROW_BYTES = 16 << 20


class Lifecycle(unittest.TestCase):
    def test_starts_answers_grows_a_backend_and_leaves_nothing(self):
        host = BusyHost()
        self.addCleanup(host.stop)
        roles = host.roles()
        self.assertGreaterEqual(len(host.pids()), 20, roles)
        self.assertEqual(sorted(roles), host.pids())
        self.assertEqual(list(roles.values()).count("nginx worker"), 4)
        host.check_unharmed()

        with self.subTest("a session opened on demand: a backend forked now, grown"):
            session = host.postgres.connect()
            self.assertEqual(host_processes.parent(session.pid), host.postgres.postmaster_pid)
            self.assertNotIn(session.pid, roles)
            before_kb = rss_kb(session.pid)
            held = session.grow(GROW_BYTES)
            self.assertGreaterEqual(held, GROW_BYTES)
            self.assertGreaterEqual((rss_kb(session.pid) - before_kb) * 1024, GROW_BYTES)
            session.close()
            self.assertFalse(host_processes.alive(session.backend))

        with self.subTest("open_growing_session"):
            session = host.open_growing_session(GROW_BYTES)
            self.assertGreaterEqual(session.grown_bytes, GROW_BYTES)
            host.check_unharmed()

        with self.subTest("a process that died is named"):
            worker = next(pid for pid, role in roles.items() if role == "nginx worker")
            os.kill(worker, signal.SIGKILL)
            host_processes.wait_gone([next(p for p in host.members if p.pid == worker)])
            with self.assertRaisesRegex(AssertionError, f"nginx worker \\(PID {worker}\\) died"):
                host.check_unharmed()

        host.stop()
        for process in host.members:
            self.assertFalse(host_processes.alive(process), roles[process.pid])
        self.assertFalse(host_processes.alive(session.backend), "a grown session left open")
        for directory in (host.redis.directory, host.nginx.directory, host.postgres.directory):
            self.assertFalse(os.path.exists(directory))


if __name__ == "__main__":
    unittest.main()

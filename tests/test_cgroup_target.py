"""cgroup_target.Cgroup does what the --cgroup tests rely on: no tool runs
here, no BPF is loaded."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cgroup_target import Cgroup, cgroup_of  # noqa: E402
from forking_truth import ForkingTruth  # noqa: E402
from harness import WaitingTarget  # noqa: E402


class Lifecycle(unittest.TestCase):
    def test_start_join_nest_and_remove(self):
        cgroup = Cgroup()
        self.addCleanup(lambda: os.path.isdir(cgroup.path) and cgroup.remove())
        started = cgroup.popen(["cat"], stdin=subprocess.PIPE)
        self.addCleanup(started.stdin.close)
        nested = cgroup.child()
        in_nested = nested.popen(["cat"], stdin=subprocess.PIPE)
        self.addCleanup(in_nested.stdin.close)
        wrapped = WaitingTarget("forking_server", "1", wrapper=cgroup.command([]))
        self.addCleanup(wrapped.kill)
        server = WaitingTarget("forking_server", "2")
        self.addCleanup(server.kill)
        origin = cgroup_of(server.pid)

        self.assertEqual(cgroup_of(started.pid), cgroup.name)
        self.assertEqual(cgroup_of(in_nested.pid), nested.name)
        self.assertEqual(cgroup_of(wrapped.pid), cgroup.name)
        self.assertEqual(os.stat(cgroup.path).st_ino, cgroup.id)

        # Joined while "tracing": what it forks afterwards is born inside.
        cgroup.join(server.pid)
        workers = ForkingTruth(server.run_work()).pids("fork", "exec")
        for pid in workers:
            self.assertEqual(cgroup_of(pid), cgroup.name)
        self.assertEqual(cgroup.pids(),
                         sorted([started.pid, in_nested.pid, wrapped.pid, server.pid, *workers]))

        cgroup.remove()
        self.assertFalse(os.path.exists(cgroup.path))
        self.assertFalse(os.path.exists(nested.path))
        self.assertIsNotNone(started.poll(), "what the cgroup started is killed")
        self.assertIsNotNone(in_nested.poll())
        self.assertIsNotNone(wrapped.process.wait(timeout=30))
        for pid in [server.pid, *workers]:
            self.assertEqual(cgroup_of(pid), origin, "joined, it goes back with its children")
        self.assertEqual(server.finish(), 0, "the joined server and its workers still work")


if __name__ == "__main__":
    unittest.main()

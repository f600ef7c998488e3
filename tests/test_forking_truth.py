"""forking_server and forking_truth.py hold each other to what the tests of
--children take as truth: no tool runs here, no BPF is loaded."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from forking_truth import Figures, ForkingTruth  # noqa: E402
from harness import WaitingTarget, target_path  # noqa: E402
from host_processes import parent  # noqa: E402

WORKERS = 4


class Lines(unittest.TestCase):
    def test_parse(self):
        truth = ForkingTruth(["ready 10\n",
                              "truth 10 server server_accept malloc 1024 2 1024 2\n",
                              "truth 11 fork worker_keep_some calloc 4000 4 8000 8\n",
                              "truth 12 exec worker_keep_some calloc 8000 8 8000 8\n",
                              "truth 12 exec worker_churn malloc 0 0 6400 100\n",
                              "done\n"])
        self.assertEqual(truth.sites[11], {"worker_keep_some": Figures(4000, 4, 8000, 8)})
        self.assertEqual(truth.server_pid(), 10)
        self.assertEqual(truth.pids("fork", "exec"), [11, 12])
        self.assertEqual(truth.per_site([11, 12]), {("worker_keep_some", "calloc"): (12000, 12)})
        self.assertEqual(truth.per_site([12], all_allocations=True),
                         {("worker_keep_some", "calloc"): (8000, 8),
                          ("worker_churn", "malloc"): (6400, 100)})
        self.assertEqual(truth.total_bytes(12, all_allocations=True), 14400)

    def test_a_site_twice_is_an_error(self):
        with self.assertRaises(AssertionError):
            ForkingTruth(["truth 11 fork worker_churn malloc 0 0 6400 100",
                          "truth 11 fork worker_churn malloc 0 0 6400 100"])


class Server(unittest.TestCase):
    def test_workers_forked_and_exec_d_hold_their_memory_until_released(self):
        target = WaitingTarget("forking_server", str(WORKERS))
        self.addCleanup(target.kill)
        truth = ForkingTruth(target.run_work())
        workers = truth.pids("fork", "exec")

        self.assertEqual(truth.server_pid(), target.pid)
        self.assertEqual(len(truth.pids("fork")), WORKERS // 2)
        self.assertEqual(len(truth.pids("exec")), WORKERS // 2)
        for pid in workers:
            self.assertEqual(parent(pid), target.pid, "a worker is the server's child")
            self.assertEqual(set(truth.sites[pid]),
                             {"worker_leak", "worker_large", "worker_keep_some", "worker_churn"})
        self.assertEqual(os.readlink(f"/proc/{truth.pids('exec')[0]}/exe"),
                         os.path.realpath(target_path("forking_server")))
        self.assertEqual(len({truth.total_bytes(pid) for pid in workers}), WORKERS,
                         "each worker leaves a different total")
        self.assertNotEqual(truth.per_site(), truth.per_site(all_allocations=True))

        self.assertEqual(target.finish(), 0)
        for pid in workers:
            self.assertFalse(os.path.exists(f"/proc/{pid}"), f"worker {pid} still runs")


if __name__ == "__main__":
    unittest.main()

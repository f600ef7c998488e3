"""Sets of processes: the whole host, -p's list, --children and --cgroup. A
target started or forked after "Tracing" gives its exact figures under its own
pid and comm, while the rest of the host runs on unharmed."""
import os
import signal
import tempfile
import unittest

import allocator_truth
import ground_truth
from busy_host import BusyHost
from cgroup_target import Cgroup
from forking_truth import ForkingTruth
from harness import ToolTestCase, WaitingTarget, finish_tool, start_tool, wait_for_tracing
from test_allocators import trace_dlopen_truth


def stacks_of(report, pid):
    """The stacks of one process of a set's JSON report."""
    return {"stacks": [s for s in report["stacks"] if s.get("pid") == pid]}


def process_row(report, pid):
    rows = [p for p in report["processes"] if p["pid"] == pid]
    if len(rows) != 1:
        raise AssertionError(f"PID {pid} has {len(rows)} rows in {report['processes']}")
    return rows[0]


class SetTestCase(ToolTestCase):
    maxDiff = None

    def trace(self, tool, args, work):
        """Runs `tool` with `args` until `work()` (called once it traces) returns; the run."""
        with tempfile.TemporaryDirectory() as directory:
            json_file = os.path.join(directory, "report.json")
            process = start_tool(tool, args, json_file)
            head = wait_for_tracing(process)
            work()
            process.send_signal(signal.SIGINT)
            run = finish_tool(process, head, json_file)
        self.assertEqual(run.returncode, 0, run)
        return run

    def assertGroundTruth(self, run, target, expected):
        self.assertEqual(ground_truth.per_site(stacks_of(run.json, target.pid)), expected, run)
        self.assertEqual(process_row(run.json, target.pid)["comm"], "ground_truth")


class HostWide(SetTestCase):
    def host_wide(self, *args):
        targets = []

        def start_and_work():
            targets.append(WaitingTarget("ground_truth"))
            targets[0].run_work()

        with BusyHost() as host:
            run = self.trace("memstacks", list(args), start_and_work)
            targets[0].finish()
            host.check_unharmed()
        self.assertNotIn("pid", run.json)
        self.assertIn("every process", run.stderr)
        return run, targets[0]

    def test_unfreed(self):
        run, target = self.host_wide()
        self.assertGroundTruth(run, target, ground_truth.UNFREED)

    def test_all(self):
        run, target = self.host_wide("-a")
        self.assertGroundTruth(run, target, ground_truth.ALL)

    def test_library_a_new_process_loads(self):
        """A process started during the trace loads an allocator no process had
        mapped (dlopen): the set's loader probes see it, the tool attaches to it,
        and what the process allocates through it afterwards is exact."""
        truth = allocator_truth.DLOPEN
        run, target = trace_dlopen_truth(lambda target: [])
        self.assertEqual(ground_truth.per_site(stacks_of(run.json, target.pid), truth.SITES),
                         truth.UNFREED, run)


class PostgresBackend(SetTestCase):
    def test_backend_of_a_new_connection_is_traced(self):
        """--children on the postmaster: a connection made after "Tracing" forks a
        backend, whose stacks run from the root through PostgresMain to the
        memory it holds, set beside its own RSS growth."""
        sessions = []
        with BusyHost() as host:
            run = self.trace("memstacks", ["-p", str(host.postgres.postmaster_pid), "--children"],
                             lambda: sessions.append(host.open_growing_session(16 << 20)))
            backend = sessions[0]
            host.check_unharmed()
        stacks = stacks_of(run.json, backend.pid)["stacks"]
        self.assertTrue(stacks, run)
        largest = max(stacks, key=lambda stack: stack["bytes"])
        self.assertGreaterEqual(largest["bytes"], backend.grown_bytes // 2, largest)
        self.assertIn("PostgresMain", largest["frames"])
        self.assertEqual(largest["frames"][0], "_start", largest)
        row = process_row(run.json, backend.pid)
        self.assertEqual(row["comm"], "postgres")
        self.assertGreaterEqual(row["bytes"], backend.grown_bytes)
        self.assertIsNotNone(row["rss_growth_kb"], row)


class PgfaultstacksHostWide(SetTestCase):
    def test_attribution_matches_each_process_rss_growth(self):
        """Every process whose RSS grew by 1 MB or more while the whole host was
        traced has its attributed pages equal that growth, within 2% and 16
        pages: a PostgreSQL backend that grows, a target started during the
        trace, and whatever else on the host grew."""
        targets = []
        with BusyHost() as host:
            session = host.postgres.connect()

            def grow():
                targets.append(WaitingTarget("page_toucher"))
                targets[0].run_work()
                session.grow(8 << 20)

            try:
                run = self.trace("pgfaultstacks", [], grow)
            finally:
                for target in targets:
                    target.finish()
                session.close()
            host.check_unharmed()
        checked = []
        for row in run.json["processes"]:
            growth_kb = row["rss_growth_kb"]
            if growth_kb is None or growth_kb < 1024:
                continue
            attributed_kb = row["pages"] * 4
            self.assertLessEqual(abs(attributed_kb - growth_kb), growth_kb * 0.02 + 16 * 4,
                                 f"{row}\n{run}")
            checked.append(row["pid"])
        self.assertIn(targets[0].pid, checked)
        self.assertIn(session.pid, checked)


class PidList(SetTestCase):
    def test_each_listed_process_exact(self):
        targets = [WaitingTarget("ground_truth") for _ in range(2)]
        try:
            run = self.trace("memstacks", ["-p", ",".join(str(t.pid) for t in targets)],
                             lambda: [t.run_work() for t in targets])
        finally:
            for target in targets:
                target.finish()
        for target in targets:
            self.assertGroundTruth(run, target, ground_truth.UNFREED)
        self.assertEqual(sorted(p["pid"] for p in run.json["processes"]),
                         sorted(t.pid for t in targets))


class Children(SetTestCase):
    def children(self, *args):
        server = WaitingTarget("forking_server", "4")
        try:
            run = self.trace("memstacks", ["-p", str(server.pid), "--children", *args],
                             server.run_work)
        finally:
            server.finish()
        return run, ForkingTruth(server.output)

    def assertWorkersExact(self, run, truth, all_allocations):
        workers = truth.pids("fork", "exec")
        self.assertEqual(len(workers), 4, truth.roles)
        for pid in workers:
            expected = truth.per_site([pid], all_allocations)
            got = {}
            for stack in stacks_of(run.json, pid)["stacks"]:
                key = (stack["frames"][-2], stack["frames"][-1])
                if key in expected:
                    bytes_, count = got.get(key, (0, 0))
                    got[key] = (bytes_ + stack["bytes"], count + stack["allocations"])
            self.assertEqual(got, expected, f"worker {pid} ({truth.roles[pid]}): {run}")

    def test_unfreed(self):
        run, truth = self.children()
        self.assertWorkersExact(run, truth, False)

    def test_all(self):
        run, truth = self.children("-a")
        self.assertWorkersExact(run, truth, True)


class CgroupSet(SetTestCase):
    def test_process_that_joins_during_the_trace(self):
        outside = WaitingTarget("ground_truth")
        with Cgroup() as cgroup:
            target = WaitingTarget("ground_truth")

            def join_and_work():
                cgroup.join(target.pid)
                target.run_work()
                outside.run_work()

            try:
                run = self.trace("memstacks", ["--cgroup", cgroup.path], join_and_work)
            finally:
                target.finish()
                outside.finish()
        self.assertGroundTruth(run, target, ground_truth.UNFREED)
        self.assertEqual([p["pid"] for p in run.json["processes"]], [target.pid])


if __name__ == "__main__":
    unittest.main()

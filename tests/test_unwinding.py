"""Stacks through code built without frame pointers: the unwind tables (--unwind).

The ground-truth targets are built twice: -O0 with frame pointers, and -O2
-fomit-frame-pointer (the *_omit_fp targets), as distributions build. Both
builds must give the same exact figures per site, with the callers named up to
the thread's root.
"""
import os
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import ground_truth  # noqa: E402
import page_truth  # noqa: E402
from test_pgfaultstacks import assertReadsAsProbed  # noqa: E402
from harness import (ToolTestCase, WaitingTarget, finish_tool, run_command,  # noqa: E402
                     start_tool, target_path, trace_staying_command, trace_waiting_target,
                     wait_for_tracing)
from redis_server import RedisServer  # noqa: E402
from test_memstacks import GroundTruthMixin  # noqa: E402

# Where a complete walk of the main thread and of other threads ends.
MAIN_THREAD_ROOT = "_start"
THREAD_ROOTS = {"clone3", "clone", "__clone3"}


def trace(tool, target_name, *args):
    target = WaitingTarget(target_name)
    try:
        run = trace_waiting_target(tool, target, list(args))
    finally:
        target.kill()
    return run, target.output


class Memstacks(GroundTruthMixin, ToolTestCase):
    def assertSitesReachRoot(self, run):
        for stack in run.json["stacks"]:
            frames = stack["frames"]
            if len(frames) >= 2 and frames[-2] in ground_truth.SITES:
                roots = THREAD_ROOTS if frames[-2] in ground_truth.CALLERS else {MAIN_THREAD_ROOT}
                self.assertIn(frames[0], roots, frames)

    def test_unfreed_without_frame_pointers(self):
        run, _ = trace("memstacks", "ground_truth_omit_fp")
        self.assertSitesExact(run, ground_truth.UNFREED)
        self.assertSitesReachRoot(run)
        quality = run.json["stack_quality"]
        self.assertEqual(quality["truncated"], 0, run)
        self.assertEqual(quality["reached_root"], len(run.json["stacks"]))
        unwinding = run.json["unwinding"]
        self.assertEqual(unwinding["mode"], "auto")
        walked = {os.path.basename(o["path"]): o["walked_by"] for o in unwinding["objects"]}
        self.assertEqual(walked["ground_truth_omit_fp"], "unwind tables")
        self.assertEqual(walked["libc.so.6"], "unwind tables")
        self.assertGreater(unwinding["table_bytes"], 0)
        self.assertGreater(unwinding["frames_by_tables"], 0)
        self.assertRegex(run.stderr, r"memstacks: \d+ of \d+ stacks \(100\.0% of the bytes\) "
                                     r"reached the thread's root; unwinding auto: tables for")

    def test_all_without_frame_pointers_under_command(self):
        run = run_command("memstacks", ["-a", "-c", target_path("ground_truth_omit_fp")])
        self.assertSitesExact(run, ground_truth.ALL, failed=ground_truth.FAILED)
        self.assertSitesReachRoot(run)

    def test_tables_for_every_object_on_the_frame_pointer_build(self):
        """--unwind cfi walks even code built with frame pointers by its tables: same figures."""
        run, _ = trace("memstacks", "ground_truth", "--unwind", "cfi")
        self.assertSitesExact(run, ground_truth.UNFREED)
        self.assertSitesReachRoot(run)
        walked = {os.path.basename(o["path"]): o["walked_by"]
                  for o in run.json["unwinding"]["objects"]}
        self.assertEqual(walked["ground_truth"], "unwind tables")

    def test_auto_walks_the_frame_pointer_build_by_frame_pointers(self):
        run, _ = trace("memstacks", "ground_truth")
        self.assertSitesExact(run, ground_truth.UNFREED)
        self.assertSitesReachRoot(run)
        walked = {os.path.basename(o["path"]): o["walked_by"]
                  for o in run.json["unwinding"]["objects"]}
        self.assertEqual(walked["ground_truth"], "frame pointers (built with them)")

    def test_frame_pointers_alone_lose_the_callers(self):
        """What the tables are for: by frame pointers, the -O2 build's stacks stop short."""
        run, _ = trace("memstacks", "ground_truth_omit_fp", "--unwind", "fp")
        self.assertEqual(run.returncode, 0, run)
        self.assertEqual(run.json["unwinding"], {"mode": "fp"})
        self.assertGreater(run.json["stack_quality"]["truncated"], 0)
        sites = [stack["frames"] for stack in run.json["stacks"]
                 if len(stack["frames"]) >= 2 and stack["frames"][-2] in ground_truth.SITES]
        self.assertTrue(any(frames[0] != MAIN_THREAD_ROOT for frames in sites), sites)


class Pgfaultstacks(ToolTestCase):
    def test_resident_pages_without_frame_pointers(self):
        run, output = trace("pgfaultstacks", "page_toucher_omit_fp")
        self.assertEqual(run.returncode, 0, run)
        expected = page_truth.expected(output)
        self.assertEqual(page_truth.per_site(run.json), expected)
        assertReadsAsProbed(self, expected)
        for stack in run.json["stacks"]:
            frames = stack["frames"]
            if frames[-1] in page_truth.SITES:
                self.assertEqual(frames[0], MAIN_THREAD_ROOT, frames)
                self.assertEqual(frames[-2], "main", frames)

    def test_same_figures_as_the_frame_pointer_build(self):
        omitted, omitted_output = trace("pgfaultstacks", "page_toucher_omit_fp")
        kept, kept_output = trace("pgfaultstacks", "page_toucher")
        self.assertEqual(page_truth.per_site(omitted.json), page_truth.expected(omitted_output))
        self.assertEqual(page_truth.per_site(kept.json), page_truth.expected(kept_output))

    def test_command_stacks_complete_from_the_first_fault(self):
        """-c: the command stops at exec and at its loader's events until the unwind
        tables of what it mapped are read, so the stacks of its first faults (main
        writes pages at once) are as complete as under -p, in both builds."""
        for target_name in ("page_toucher_omit_fp", "page_toucher"):
            with self.subTest(target=target_name):
                command, output = trace_staying_command("pgfaultstacks", target_name)
                attached, _ = trace("pgfaultstacks", target_name)
                self.assertEqual(command.returncode, 0, command)
                self.assertEqual(page_truth.per_site(command.json), page_truth.expected(output))
                for stack in command.json["stacks"]:
                    if "main" in stack["frames"]:
                        self.assertEqual(stack["frames"][0], MAIN_THREAD_ROOT, stack["frames"])
                self.assertEqual(site_stacks(command), site_stacks(attached))


def site_stacks(run):
    """The stacks whose leaf is a site of page_toucher, by frames."""
    return {tuple(stack["frames"]) for stack in run.json["stacks"]
            if stack["frames"][-1] in page_truth.SITES}


# Debian's own binaries, built without frame pointers.
PYTHON = "/usr/bin/python3"
LIST_GROWER = os.path.join(os.path.dirname(__file__), "targets", "list_grower.py")
REDIS_LOAD = ["-t", "set,get,lpush,sadd,hset", "-n", "20000", "-r", "10000", "-q"]
# The share of stacks that must reach the thread's root through the tables.
ROOT_SHARE = 0.95


def root_share(run):
    quality = run.json["stack_quality"]
    return quality["reached_root"] / quality["stacks"]


def frames_seen(run):
    return {frame for stack in run.json["stacks"] for frame in stack["frames"]}


class DistributionBinaries(ToolTestCase):
    """Both walks, one after the other on the same process and load: the tables
    reach the root where frame pointers cannot."""

    def trace_redis(self, server, mode):
        with tempfile.TemporaryDirectory() as directory:
            json_file = os.path.join(directory, "report.json")
            process = start_tool("memstacks", ["-a", "-p", str(server.pid), "--unwind", mode],
                                 json_file)
            head = wait_for_tracing(process)
            server.benchmark(*REDIS_LOAD)
            process.send_signal(signal.SIGINT)
            run = finish_tool(process, head, json_file)
        self.assertRunOk(run)
        return run

    def assertReachesRoot(self, by_tables, by_frame_pointers, names):
        figures = (f"stacks reaching the thread's root: by tables "
                   f"{by_tables.json['stack_quality']}, by frame pointers "
                   f"{by_frame_pointers.json['stack_quality']}")
        print(figures, file=sys.stderr)
        self.assertGreaterEqual(root_share(by_tables), ROOT_SHARE, figures)
        self.assertLess(root_share(by_frame_pointers), root_share(by_tables), figures)
        self.assertLessEqual(names, frames_seen(by_tables))

    def test_redis_server(self):
        server = RedisServer()
        self.addCleanup(server.stop)
        by_frame_pointers = self.trace_redis(server, "fp")
        by_tables = self.trace_redis(server, "auto")
        # The event loop, the command dispatch and the handlers of the load's commands
        # (LPUSH is a tail call to pushGenericCommand: it has no frame of its own).
        self.assertReachesRoot(by_tables, by_frame_pointers,
                               {"main", "aeMain", "processCommand", "call", "setCommand",
                                "pushGenericCommand", "saddCommand", "hsetCommand"})

    def trace_python(self, tool, *args):
        target = WaitingTarget(LIST_GROWER, wrapper=(PYTHON,))
        try:
            run = trace_waiting_target(tool, target, list(args))
        finally:
            target.kill()
        self.assertRunOk(run)
        return run

    def test_python3_allocations(self):
        # -a: every allocation's stack, not only those of the blocks kept.
        by_frame_pointers = self.trace_python("memstacks", "-a", "--unwind", "fp")
        by_tables = self.trace_python("memstacks", "-a", "--unwind", "auto")
        self.assertReachesRoot(by_tables, by_frame_pointers,
                               {"Py_RunMain", "_PyEval_EvalFrameDefault"})

    def test_python3_page_faults(self):
        by_frame_pointers = self.trace_python("pgfaultstacks", "--unwind", "fp")
        by_tables = self.trace_python("pgfaultstacks", "--unwind", "auto")
        self.assertReachesRoot(by_tables, by_frame_pointers,
                               {"Py_RunMain", "_PyEval_EvalFrameDefault"})


class BadInput(unittest.TestCase):
    def test_unknown_mode(self):
        run = run_command("memstacks", ["--unwind", "dwarf", "-p", "1"], json_report=False)
        self.assertEqual(run.returncode, 2)
        self.assertEqual(run.stderr.strip(), "memstacks: --unwind takes auto, fp or cfi, "
                                             "not 'dwarf' (see memstacks --help)")


if __name__ == "__main__":
    unittest.main()

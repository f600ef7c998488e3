"""pgfaultstacks against targets whose page faults are known exactly."""
import os
import re
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import kernel_behaviour  # noqa: E402
import page_truth  # noqa: E402
from harness import (ToolTestCase, WaitingTarget, finish_tool, read_line,  # noqa: E402
                     run_command, start_tool, target_path, trace_staying_command,
                     trace_waiting_target, wait_for_tracing)


# Faults of a traced target outside its measured work: a stack or stdio page.
STRAY_FAULTS = 16


def within_rss(test, report, percent=2, slack_pages=16):
    """The attributed pages against the RSS growth over the same time."""
    growth_kb = report["rss_end_kb"] - report["rss_start_kb"]
    attributed_kb = report["pages"] * 4
    test.assertLessEqual(abs(attributed_kb - growth_kb), growth_kb * percent / 100 + slack_pages * 4,
                         f"attributed {attributed_kb} kB against RSS growth {growth_kb} kB")


def assertReadsAsProbed(test, expected):
    """The target's own split of the regions it reads first (read, then written) is
    what kernel_behaviour's probe says a read of untouched memory gives."""
    test.assertEqual(page_truth.read_split(expected),
                     page_truth.read_split_for(kernel_behaviour.reads_give_pages()))


class UnderPid(ToolTestCase):
    def trace(self, target_name, *args):
        target = WaitingTarget(target_name)
        try:
            run = trace_waiting_target("pgfaultstacks", target, list(args))
        finally:
            target.kill()
        self.assertEqual(run.returncode, 0, run)
        return run, target.output

    def test_resident_pages_per_site(self):
        run, output = self.trace("page_toucher")
        report = run.json
        expected = page_truth.expected(output)
        self.assertEqual(page_truth.per_site(report), expected)
        assertReadsAsProbed(self, expected)
        # The file's pages (faulted, or mapped around a fault) and the shared memory's
        # are the only ones of their kind that come and stay while tracing.
        file_pages, shared_pages = expected["read_file_pages"], expected["write_shared_pages"]
        self.assertEqual(report["file_pages"], file_pages)
        self.assertEqual(report["shmem_pages"], shared_pages)
        self.assertEqual(report["anon_pages"] + report["file_pages"] + report["shmem_pages"],
                         report["pages"])
        self.assertTrue(report["residency_checked"])
        self.assertEqual(report["lost_events"], 0)
        # Outside the sites' tables, only the heap pages of the small blocks.
        self.assertEqual(report["pages"] - sum(expected.values()),
                         page_truth.small_block_pages(output))
        within_rss(self, report, percent=0, slack_pages=0)
        self.assertGreater(report["raw_faults"], 0)
        self.assertRegex(run.stderr, rf"pgfaultstacks: \d+ pages \(\d+ anonymous, {file_pages} "
                                     rf"file-backed, {shared_pages} shared memory\) resident from "
                                     r"\d+ stacks .*; \d+ faults in all")

    def test_pages_held_in_both_hashes(self):
        """Pages go to a preallocated hash, then to a growing one: with a
        --max-pages the target's faults fill past half of, the first holds
        half and the second the rest, and the figures stay exact."""
        run, output = self.trace("page_toucher", "--max-pages", "400")
        report = run.json
        # Here each of the target's faults (about 270) records a page: past 200.
        self.assertGreater(report["raw_faults"], 200, "the faults fill the first hash")
        self.assertEqual(report["lost_events"], 0)
        self.assertEqual(page_truth.per_site(report), page_truth.expected(output))
        self.assertEqual(report["pages"] - sum(page_truth.expected(output).values()),
                         page_truth.small_block_pages(output))

    def test_stacks_name_the_callers(self):
        run, _ = self.trace("page_toucher")
        for stack in run.json["stacks"]:
            if stack["frames"][-1] in page_truth.SITES:
                self.assertEqual(stack["frames"][-2], "main", stack["frames"])

    def test_attribution_matches_rss_growth_under_churn(self):
        run, _ = self.trace("churn_workload")
        within_rss(self, run.json)
        self.assertEqual(run.json["lost_events"], 0)

    def test_all_faults_shows_the_overcount(self):
        resident, resident_output = self.trace("churn_workload")
        naive, naive_output = self.trace("churn_workload", "--all-faults")
        self.assertEqual(naive.json["mode"], "all-faults")
        faults = sum(stack["faults"] for stack in naive.json["stacks"])
        self.assertEqual(faults, naive.json["raw_faults"])
        # Each mode sees every fault: those the target counted itself while
        # working, and a stray stack or stdio page around them. How many the
        # work takes is the kernel's to decide (one fault for a huge page, if
        # it has one to give), so each run is held to its own process's count.
        for run, output in ((resident, resident_output), (naive, naive_output)):
            working = int(re.search(r"^minor_faults (\d+)$", "".join(output),
                                    re.MULTILINE).group(1))
            self.assertGreaterEqual(run.json["raw_faults"], working)
            self.assertLessEqual(run.json["raw_faults"], working + STRAY_FAULTS)
        # ... more than the pages that stay: the overcount.
        self.assertGreater(faults, resident.json["pages"])

    def test_folded(self):
        run, output = self.trace("page_toucher", "-f")
        fresh_pages = page_truth.expected(output)["write_fresh_pages"]
        lines = {}
        for line in run.stdout.splitlines():
            match = re.fullmatch(r"(page_toucher(?:;[^;]+)+) (\d+)", line)
            self.assertIsNotNone(match, f"not a folded line: {line!r}")
            lines[match.group(1)] = int(match.group(2))
        fresh = [value for stack, value in lines.items() if stack.endswith(";main;write_fresh_pages")]
        self.assertEqual(fresh, [fresh_pages])


class UnderCommand(ToolTestCase):
    def test_resident_pages_per_site(self):
        """-c: the command runs, says done and waits; the trace ends by Ctrl-C."""
        run, output = trace_staying_command("pgfaultstacks", "page_toucher")
        self.assertEqual(run.returncode, 0, run)
        expected = page_truth.expected(output)
        self.assertEqual(page_truth.per_site(run.json), expected)
        assertReadsAsProbed(self, expected)
        # Traced from the first fault: the dynamic loader's own pages are there too.
        self.assertGreater(run.json["file_pages"], expected["read_file_pages"])


    def test_command_killed_by_the_same_ctrl_c_keeps_its_names(self):
        """A terminal's Ctrl-C reaches the tool and its -c command alike: the
        command is gone when the report names its stacks, which must come from
        what was read while it ran, never [unknown]."""
        with tempfile.TemporaryDirectory() as directory:
            json_file = os.path.join(directory, "report.json")
            process = start_tool("pgfaultstacks", ["-c", target_path("page_toucher") + " --stay"],
                                 json_file, new_session=True)
            head = wait_for_tracing(process)
            output = []
            while not output or not output[-1].startswith("done"):
                output.append(read_line(process.stdout, "the command's done line"))
            os.killpg(process.pid, signal.SIGINT)
            run = finish_tool(process, head, json_file)
        self.assertEqual(run.returncode, 0, run)
        self.assertIn("the target exited before the end", run.stderr)
        expected = page_truth.expected(output)
        self.assertEqual(page_truth.per_site(run.json)["write_fresh_pages"],
                         expected["write_fresh_pages"])
        nameless = [stack["frames"] for stack in run.json["stacks"] if "[unknown]" in stack["frames"]]
        self.assertEqual(nameless, [])


class BadInput(ToolTestCase):
    def test_one_line_errors(self):
        for args, code, words in [(["--frobnicate"], 2, "unknown option"),
                                  (["-p", "12x"], 2, "invalid PID"),
                                  (["--max-pages", "0", "-p", "1"], 2, "--max-pages"),
                                  (["-p", "2"], 1, "kernel thread"),
                                  (["-c", "no-such-command-here"], 1, "full path")]:
            with self.subTest(args=args):
                run = run_command("pgfaultstacks", args, json_report=False)
                self.assertEqual(run.returncode, code, run)
                lines = run.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, run.stderr)
                self.assertTrue(lines[0].startswith("pgfaultstacks: "), lines[0])
                self.assertIn(words, lines[0])


if __name__ == "__main__":
    unittest.main()

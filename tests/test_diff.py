"""--diff: two real runs of tests/targets/diff_truth.c compared, whose leak
doubled at one site and vanished at another; one run's first and last
interval; and reports the diff must refuse, each with one line."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (ToolTestCase, WaitingTarget, finish_tool, read_line,  # noqa: E402
                     start_tool, tool_path, wait_for_tracing)

SITES = ("steady_site", "growing_site", "vanishing_site")
USAGE, RUNTIME = 2, 1


def site_truth(target_output):
    """What the target did, per site: "site NAME FIGURE" lines (bytes, or pages gained)."""
    return {name: int(figure) for name, figure in
            re.findall(r"^site (\S+) (-?\d+)$", "".join(target_output), re.M)}


def site_of(frames):
    sites = [frame for frame in frames if frame in SITES]
    return sites[0] if len(sites) == 1 else None


def trace_run(tool, mode, which, directory, args=()):
    """(run, JSON path, truth) of `tool` on diff_truth's `which` run ("first", "second")."""
    target = WaitingTarget("diff_truth", mode, which)
    try:
        json_file = os.path.join(directory, f"{mode}_{which}.json")
        process = start_tool(tool, ["-p", str(target.pid), *args], json_file)
        head = wait_for_tracing(process)
        output = target.run_work()
        process.send_signal(signal.SIGINT)
        run = finish_tool(process, head, json_file)
    finally:
        target.kill()
    return run, json_file, site_truth(output)


def diff(tool, *args):
    """The tool's --diff run: (exit code, stdout, stderr)."""
    run = subprocess.run([tool_path(tool), "--diff", *args], capture_output=True, text=True,
                         timeout=60)
    return run.returncode, run.stdout, run.stderr


def changes_by_site(diff_report):
    """site -> (before, after, delta) of the diff's stacks, and the stacks of no site."""
    sites, others = {}, []
    for stack in diff_report["stacks"]:
        site = site_of(stack["frames"])
        if site:
            sites[site] = (stack["before"], stack["after"], stack["delta"])
        else:
            others.append(stack)
    return sites, others


class Memstacks(ToolTestCase):
    tool, mode, unit, count = "memstacks", "heap", "bytes", "allocations"

    def two_runs(self, directory):
        first, first_json, first_truth = trace_run(self.tool, self.mode, "first", directory)
        self.assertRunOk(first)
        second, second_json, second_truth = trace_run(self.tool, self.mode, "second", directory)
        self.assertRunOk(second)
        return first_json, second_json, first_truth, second_truth

    def assertExactChanges(self, diff_report, first_truth, second_truth):
        """Exactly the growing and vanishing sites changed, by what the target did; nothing
        else did."""
        sites, others = changes_by_site(diff_report)
        expected = {name: (first_truth[name], second_truth[name],
                           second_truth[name] - first_truth[name])
                    for name in SITES if first_truth[name] or second_truth[name]}
        self.assertEqual(sites, expected)
        self.assertEqual([stack for stack in others if stack["delta"]], [],
                         "no other stack changed")
        changed = [stack for stack in diff_report["stacks"] if stack["delta"]]
        self.assertEqual(len(changed), 2)
        self.assertEqual((diff_report["grew"], diff_report["shrank"], diff_report["gone"]),
                         (1, 1, 1))

    def test_two_runs(self):
        with tempfile.TemporaryDirectory() as directory:
            before, after, first_truth, second_truth = self.two_runs(directory)
            self.assertEqual((first_truth["growing_site"], second_truth["growing_site"]),
                             self.growing)
            self.assertEqual((first_truth["vanishing_site"], second_truth["vanishing_site"]),
                             self.vanishing)
            diff_json = os.path.join(directory, "diff.json")
            code, out, err = diff(self.tool, before, after, "--json", diff_json)
            self.assertEqual(code, 0, err)
            with open(diff_json) as f:
                report = json.load(f)
        self.assertEqual((report["tool"], report["unit"]), (self.tool, self.unit))
        self.assertExactChanges(report, first_truth, second_truth)
        grown, gone = self.growing, self.vanishing
        # The text: the stack that grew, then the one that shrank, with exact figures.
        self.assertIn(f"All 1 stacks that grew, in {self.unit}:", out)
        self.assertIn(f"All 1 stacks that shrank, in {self.unit}:", out)
        self.assertRegex(out, rf"\t\+{grown[1] - grown[0]} {self.unit} \({grown[0]} -> "
                              rf"{grown[1]}\).*\n(\t\t.*\n)*?\t\tgrowing_site\n")
        self.assertRegex(out, rf"\t-{gone[0]} {self.unit} \({gone[0]} -> 0\).*\n"
                              rf"(\t\t.*\n)*?\t\tvanishing_site\n")
        self.assertNotIn("steady_site", out, "an unchanged stack is not listed")
        summary = err.strip().splitlines()[-1]
        self.assertRegex(summary, rf"^{self.tool}: \d+ -> \d+ {self.unit} \(-\d+\): 1 stacks grew "
                                  rf"\(\+{grown[1] - grown[0]}\), 1 shrank \(-{gone[0]}\)")
        if self.count:
            stack = next(s for s in report["stacks"] if site_of(s["frames"]) == "growing_site")
            self.assertEqual((stack[f"before_{self.count}"], stack[f"after_{self.count}"]),
                             self.growing_count)

    def test_first_and_last_interval(self):
        """One run with -i: the first interval is before the work, the last after it."""
        with tempfile.TemporaryDirectory() as directory:
            target = WaitingTarget("diff_truth", self.mode, "first")
            try:
                json_file = os.path.join(directory, "intervals.json")
                process = start_tool(self.tool, ["-p", str(target.pid), "-i", "1"], json_file)
                head = wait_for_tracing(process)
                read_line(process.stdout, "the first interval's line")
                truth = site_truth(target.run_work())
                read_line(process.stdout, "an interval after the work")
                process.send_signal(signal.SIGINT)
                run = finish_tool(process, head, json_file)
            finally:
                target.kill()
            self.assertRunOk(run)
            self.assertGreaterEqual(len(run.json["intervals"]["seconds"]), 2)
            diff_json = os.path.join(directory, "diff.json")
            code, out, err = diff(self.tool, json_file, "--json", diff_json)
            self.assertEqual(code, 0, err)
            with open(diff_json) as f:
                report = json.load(f)
        sites, others = changes_by_site(report)
        count = len(run.json["intervals"]["seconds"])
        self.assertEqual(sites, {name: (0, figure, figure)
                                 for name, figure in truth.items() if figure})
        self.assertEqual([s for s in others if s["delta"]], [])
        self.assertEqual((report["before_interval"], report["after_interval"]), (1, count))
        self.assertIn(f"interval {count} of {count}", err)

    def test_folded_and_svg(self):
        with tempfile.TemporaryDirectory() as directory:
            before, after, first_truth, second_truth = self.two_runs(directory)
            code, folded, err = diff(self.tool, before, after, "-f")
            self.assertEqual(code, 0, err)
            svg = os.path.join(directory, "diff.svg")
            code, _, err = diff(self.tool, before, after, "--svg", svg)
            self.assertEqual(code, 0, err)
            lint = subprocess.run(["xmllint", "--noout", svg], capture_output=True, text=True)
            self.assertEqual(lint.returncode, 0, lint.stderr)
            with open(svg) as f:
                text = f.read()
        # Folded: "comm;root;...;leaf BEFORE AFTER", every stack of either run.
        lines = {}
        for line in folded.splitlines():
            match = re.fullmatch(r"(\S.*) (\d+) (\d+)", line)
            self.assertTrue(match, line)
            frames = match.group(1).split(";")
            self.assertEqual(frames[0], "diff_truth", "the comm first")
            lines[site_of(frames)] = (int(match.group(2)), int(match.group(3)))
        self.assertEqual(lines, {name: (first_truth[name], second_truth[name]) for name in SITES})
        # The SVG: width by after, each frame's before and change beside it.
        found = {}
        for match in re.finditer(r'<g class="f" data-x="\d+" data-w="(\d+)" data-d="\d+"[^>]*? '
                                 r'data-before="(\d+)" data-delta="(-?\d+)"[^>]*><title>([^<]*)'
                                 r'</title><rect [^>]*fill="([^"]+)"', text):
            found[match.group(4)] = (int(match.group(2)), int(match.group(1)),
                                     int(match.group(3)), match.group(5))
        grown = found["growing_site"]
        self.assertEqual(grown[:3], (first_truth["growing_site"], second_truth["growing_site"],
                                     second_truth["growing_site"] - first_truth["growing_site"]))
        self.assertRegex(grown[3], r"^rgb\(255,(\d+),\1\)$", "growth is red")
        self.assertEqual(found["steady_site"][2:], (0, "rgb(200,200,200)"), "unchanged is grey")
        self.assertNotIn("vanishing_site", found, "width by after: what went takes none")
        main = found["main"]
        self.assertEqual(main[2], sum(second_truth.values()) - sum(first_truth.values()))
        self.assertRegex(main[3], r"^rgb\((\d+),\1,255\)$", "shrinkage is blue")


class Pgfaultstacks(Memstacks):
    tool, mode, unit, count = "pgfaultstacks", "pages", "pages", "faults"

    # Pages the kernel gave, as the target counted them: checked against the plan. Faults
    # per page are the kernel's to decide (fault-around): the pages are the exact figure.
    growing, vanishing = (12, 24), (20, 0)
    count = None


Memstacks.growing, Memstacks.vanishing, Memstacks.growing_count = (3000, 6000), (8000, 0), (3, 6)


# A report of each tool and mode as small as the reader takes: the fields --diff needs.
def saved(tool="memstacks", mode="unfreed", stacks=None, **fields):
    unit, count = {"memstacks": ("bytes", "allocations"),
                   "pgfaultstacks": ("pages", "faults")}[tool]
    if mode == "all-faults":
        unit, count = "faults", None
    if stacks is None:
        stack = {"frames": ["main", "leak", "malloc"], unit: 100}
        if count:
            stack[count] = 1
        stacks = [stack]
    return dict({"tool": tool, "mode": mode, "pid": 7, "comm": "app", "duration_s": 1.0,
                 "stacks": stacks}, **fields)


class Matching(unittest.TestCase):
    """How stacks match, on reports written by hand: by function names and comm, never by
    pid or a --lines suffix. No BPF."""

    def diff_of(self, before, after):
        with tempfile.TemporaryDirectory() as directory:
            paths = []
            for name, report in (("before.json", before), ("after.json", after)):
                paths.append(os.path.join(directory, name))
                with open(paths[-1], "w") as f:
                    json.dump(report, f)
            output = os.path.join(directory, "diff.json")
            code, out, err = diff("memstacks", *paths, "--json", output)
            self.assertEqual(code, 0, err)
            with open(output) as f:
                return json.load(f), out

    def test_restarted_program_with_lines(self):
        site = {"object": "/app", "offset": 1, "address": 2, "function": "two_lines",
                "file": "/src/app.c", "line": 12}
        before = saved(stacks=[{"frames": ["main", "two_lines app.c:12", "malloc"],
                                "sites": [None, site, None], "bytes": 100, "allocations": 1}])
        after = saved(pid=99, stacks=[{"frames": ["main", "two_lines", "malloc"],
                                       "bytes": 300, "allocations": 3}])
        report, out = self.diff_of(before, after)
        self.assertEqual([(s["frames"], s["before"], s["after"], s["delta"])
                          for s in report["stacks"]],
                         [(["main", "two_lines", "malloc"], 100, 300, 200)])
        self.assertIn("\t+200 bytes (100 -> 300) in 1 -> 3 allocations from stack\n", out)

    def test_sets_match_by_comm(self):
        def stack(pid, comm, value):
            return {"pid": pid, "comm": comm, "frames": ["main", "f", "malloc"], "bytes": value,
                    "allocations": 1}
        before = saved(stacks=[stack(1, "a", 10), stack(2, "a", 20), stack(3, "b", 5)],
                       scope="the whole host", comm=None, pid=None)
        after = saved(stacks=[stack(8, "a", 50), stack(9, "b", 5)], scope="the whole host",
                      comm=None, pid=None)
        del before["comm"], before["pid"], after["comm"], after["pid"]
        report, out = self.diff_of(before, after)
        self.assertEqual(sorted((s["comm"], s["before"], s["after"]) for s in report["stacks"]),
                         [("a", 30, 50), ("b", 5, 5)])
        self.assertIn("\t\t-  a\n", out, "a set's stacks say their comm")


class DiffInput(unittest.TestCase):
    """Files --diff must refuse: one line "TOOL: cannot ...: reason (hint)", exit 1 (2 for
    usage), nothing on stdout, never a crash. No BPF: nothing is traced."""

    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)

    def write(self, name, content):
        path = os.path.join(self.directory.name, name)
        with open(path, "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def assertRefused(self, args, *words, tool="memstacks", exit_code=RUNTIME):
        code, out, err = diff(tool, *args)
        self.assertEqual(code, exit_code, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line on stderr: {err!r}")
        self.assertTrue(lines[0].startswith(f"{tool}: "), lines[0])
        if exit_code == RUNTIME:
            self.assertRegex(lines[0], rf"^{tool}: cannot .*: .* \(.*\)$")
        for word in words:
            self.assertIn(word, lines[0])
        self.assertEqual(out, "", "errors go to stderr")

    def test_missing_file(self):
        good = self.write("good.json", saved())
        self.assertRefused(["/nonexistent/before.json", good], "cannot read /nonexistent/before.json",
                           "No such file or directory")
        self.assertRefused([good, self.directory.name], "Is a directory")

    def test_other_tool(self):
        memstacks = self.write("m.json", saved())
        pgfaultstacks = self.write("p.json", saved("pgfaultstacks", "resident"))
        self.assertRefused([memstacks, pgfaultstacks], "a report of pgfaultstacks, not of memstacks")
        self.assertRefused([memstacks, pgfaultstacks], "a report of memstacks, not of pgfaultstacks",
                           tool="pgfaultstacks")

    def test_other_mode(self):
        unfreed = self.write("u.json", saved())
        everything = self.write("a.json", saved(mode="all"))
        self.assertRefused([unfreed, everything], "one holds unfreed allocations, the other all "
                           "allocations", "same mode")
        resident = self.write("r.json", saved("pgfaultstacks", "resident"))
        faults = self.write("f.json", saved("pgfaultstacks", "all-faults"))
        self.assertRefused([resident, faults], "resident pages faulted in", "page faults",
                           tool="pgfaultstacks")
        self.assertRefused([self.write("x.json", saved(mode="sometimes")), unfreed],
                           "mode \"sometimes\" is not one memstacks writes")
        # What the file says is data: a control character cannot reach the terminal.
        self.assertRefused([self.write("y.json", saved(mode="\x1b[2J")), unfreed],
                           "mode \"\\x1b[2J\" is not one")

    def test_damaged_reports(self):
        good = self.write("good.json", saved())
        text = json.dumps(saved())
        stack = saved()["stacks"][0]
        cases = [
            (text[:len(text) // 2], "ends early"),
            ("", "ends early"),
            ("garbage", "not JSON"),
            (text + " {}", "more follows"),
            ("[1, 2]", "an array, not a report object"),
            (text.replace('"main"', '"ma\\u0000in"'), "NUL"),
            (saved(stacks=[dict(stack, bytes="100")]), "stacks[0].bytes is a string"),
            (saved(stacks=[dict(stack, bytes=1.5)]), "stacks[0].bytes is a fraction"),
            (saved(stacks=[dict(stack, bytes=-5)]), "stacks[0].bytes is negative"),
            (saved(stacks=[dict(stack, bytes=2**70)]), "more than any trace can count"),
            (saved(stacks=[dict(stack, bytes=2**62), dict(stack, bytes=2**62)]), "add up to more"),
            (saved(stacks=[{k: v for k, v in stack.items() if k != "frames"}]),
             'stacks[0] has no "frames"'),
            (saved(stacks=[{k: v for k, v in stack.items() if k != "allocations"}]),
             'stacks[0] has no "allocations"'),
            (saved(stacks=[dict(stack, frames="main")]), "stacks[0].frames is a string"),
            (saved(stacks=[dict(stack, frames=["main", 5])]), "stacks[0].frames[1] is a whole"),
            (saved(stacks=[dict(stack, frames=["f"] * 5000)]), "more than a report holds"),
            (saved(stacks=[dict(stack, sites=[None])]), "1 sites for 3 frames"),
            (saved(stacks=[dict(stack, sites=[None, {"file": "a.c", "line": "x"}, None])]),
             "stacks[0].sites[1].line is a string"),
            (saved(stacks=[dict(stack, comm=["x"])]), "stacks[0].comm is an array"),
            (saved(stacks={}), "stacks is an object, not an array"),
            (dict(saved(), tool=None), "tool is null"),
            ({"mode": "unfreed", "stacks": []}, '"tool" is missing'),
            (saved(duration_s=-1.0), "duration_s is -1"),
            (saved(intervals={"seconds": [1, 2]}), 'stacks[0] has no "series"'),
            (saved(intervals={"seconds": [1, 2]}, stacks=[dict(stack, series=[1])]),
             "1 values for 2 intervals"),
        ]
        for content, words in cases:
            with self.subTest(words=words):
                damaged = self.write("damaged.json", content)
                self.assertRefused([good, damaged], "cannot read", words)

    def test_one_interval_alone(self):
        stack = dict(saved()["stacks"][0], series=[100])
        one = self.write("one.json", saved(stacks=[stack], intervals={"seconds": [1.0]}))
        self.assertRefused([one], f"cannot compare the intervals of {one}", "only one interval")
        none = self.write("none.json", saved())
        self.assertRefused([none], "written without -i", "give two files")

    def test_options_that_do_not_apply(self):
        good = self.write("good.json", saved())
        self.assertRefused([good, good, "-p", "1"], "--pid does not apply", exit_code=USAGE)
        self.assertRefused([good, good, "-a"], "--all does not apply", exit_code=USAGE)
        self.assertRefused([good, good, "-i", "5"], "--interval does not apply", exit_code=USAGE)
        self.assertRefused([good, good, good], "unexpected argument", exit_code=USAGE)
        self.assertRefused([good, good, "--max-pages", "5"], "--max-pages does not apply",
                           tool="pgfaultstacks", exit_code=USAGE)


if __name__ == "__main__":
    unittest.main()

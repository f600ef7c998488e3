"""--pprof: real traces of the ground-truth targets written as pprof profiles
and read back by `go tool pprof` (Debian's golang-go), a reader we did not
write. Every site's figure must come back exactly as the target reports it,
the stacks as the text report shows them, and the mappings with the objects'
build IDs; with -i, a profile per interval, each with that interval's
figures; bad paths fail in one line before anything is attached.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import ground_truth  # noqa: E402
import page_truth  # noqa: E402
from harness import (ToolTestCase, WaitingTarget, read_line, run_command,  # noqa: E402
                     target_path,
                     trace_waiting_target)
from redis_server import free_port  # noqa: E402
from test_frame_sites import FILE, build_id, marker_lines, truth  # noqa: E402
from test_intervals import SITES as INTERVAL_SITES, by_site, trace_three_behaviours  # noqa: E402

# pprof marks a function seen inlined; our text report marks it " (inlined)".
INLINE_MARKS = re.compile(r" \((?:partial-)?inline[d]?\)$")
TOP_ROW = re.compile(r"^\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+%\s+(.+)$")


def go_pprof(*args):
    """What `go tool pprof` prints, never symbolizing: the profile must say it all."""
    result = subprocess.run(["go", "tool", "pprof", "-symbolize=none", *args],
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, HOME=os.environ.get("HOME", "/root")))
    if result.returncode != 0:
        raise AssertionError(f"go tool pprof {args} failed: {result.stderr}")
    return result.stdout


def figure(text):
    return int(text[:-1] if text.endswith("B") else text)


def top(profile, sample_index):
    """function -> (flat, cum) from `-top` of every node, in raw units."""
    output = go_pprof("-top", "-nodecount=100000", "-nodefraction=0", "-edgefraction=0",
                      "-unit=B", f"-sample_index={sample_index}", profile)
    rows = {}
    for line in output.splitlines():
        match = TOP_ROW.match(line)
        if match and match.group(1) != "flat":
            name = INLINE_MARKS.sub("", match.group(3).strip())
            rows[name] = (figure(match.group(1)), figure(match.group(2)))
    if not rows:
        raise AssertionError(f"no rows in pprof -top:\n{output}")
    return rows


def traces(profile):
    """The stacks of `-traces`, leaf first, inline marks dropped: a sorted list of tuples,
    and the labels each block carried."""
    output = go_pprof("-traces", profile)
    stacks, labels = [], []
    for block in output.split("-----------+")[1:]:
        frames, tags = [], {}
        for line in block.splitlines()[1:]:
            tag = re.match(r"^\s+(\w+):\s+(.*)$", line)
            if tag and not frames:
                tags[tag.group(1)] = tag.group(2).strip()
                continue
            frame = re.match(r"^\s*(?:\S+)?\s{3}(\S.*)$", line)
            if frame:
                frames.append(INLINE_MARKS.sub("", frame.group(1).strip()))
        if frames:
            stacks.append(tuple(frames))
            labels.append(tags)
    return sorted(stacks), labels


def text_stacks(stdout):
    """The stacks of the text report (-T 0), leaf first, inline marks dropped."""
    stacks, frames = [], None
    for line in stdout.splitlines():
        if re.match(r"^\t\S.* from stack$", line):
            if frames:
                stacks.append(tuple(frames))
            frames = []
        elif line.startswith("\t\t") and frames is not None:
            frames.append(INLINE_MARKS.sub("", line.strip()))
    if frames:
        stacks.append(tuple(frames))
    return sorted(stacks)


def sums_by_site(table):
    """site -> (bytes, allocations) from a ground_truth table keyed (site, leaf)."""
    sites = {}
    for (site, _), (bytes_, count) in table.items():
        old = sites.get(site, (0, 0))
        sites[site] = (old[0] + bytes_, old[1] + count)
    return sites


class InDirectory(ToolTestCase):
    """A test whose files go to a directory of its own, removed after it."""

    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="memstacks-pprof-")
        self.profile = os.path.join(self.directory, "profile.pb.gz")

    def tearDown(self):
        shutil.rmtree(self.directory)
        super().tearDown()


class Memstacks(InDirectory):
    def trace(self, *args):
        target = WaitingTarget("ground_truth")
        try:
            run = trace_waiting_target("memstacks", target,
                                       ["-T", "0", "--pprof", self.profile, *args])
        finally:
            target.kill()
        self.assertRunOk(run)
        return run

    def assertSitesExact(self, sample_index, expected, column):
        """Each site's cum under `sample_index` is its figure in `expected` (bytes 0, count 1)."""
        rows = top(self.profile, sample_index)
        got = {site: rows.get(site, (0, 0))[1] for site in expected}
        self.assertEqual(got, {site: figures[column] for site, figures in expected.items()},
                         sample_index)

    def test_unfreed_sites_exact(self):
        run = self.trace()
        expected = sums_by_site(ground_truth.UNFREED)
        self.assertSitesExact("inuse_space", expected, 0)
        self.assertSitesExact("inuse_objects", expected, 1)
        # The whole profile is the whole report, and inuse_space is what pprof shows first.
        rows = top(self.profile, "inuse_space")
        leaves = {frames[0] for frames in text_stacks(run.stdout)}
        self.assertEqual(sum(rows[leaf][0] for leaf in leaves), run.json["total_bytes"])
        self.assertIn("Type: inuse_space", go_pprof("-top", self.profile))

    def test_all_sites_exact(self):
        run = self.trace("-a")
        expected = sums_by_site(ground_truth.ALL)
        self.assertSitesExact("alloc_space", expected, 0)
        self.assertSitesExact("alloc_objects", expected, 1)
        self.assertIn("Type: alloc_space", go_pprof("-top", self.profile))
        self.assertEqual(run.json["mode"], "all")

    def test_traces_are_the_text_reports_stacks(self):
        run = self.trace()
        stacks, labels = traces(self.profile)
        self.assertEqual(stacks, text_stacks(run.stdout))
        self.assertEqual(len(stacks), len(run.json["stacks"]))
        comm = run.json["comm"]
        self.assertEqual(labels, [{"comm": comm, "pid": str(run.json["pid"])}] * len(stacks))

    def test_web_ui_serves_the_sites(self):
        """`go tool pprof -http`, as a user opens it: its top table holds every site's
        exact bytes, and its flame graph page names them. (Its graph page needs
        graphviz, which is not ours to install.)"""
        self.trace()
        port = free_port()
        # -nodefraction=0: the default hides nodes under 0.5% (leak_pvalloc's 100 bytes).
        server = subprocess.Popen(["go", "tool", "pprof", "-symbolize=none", "-no_browser",
                                   "-nodefraction=0",
                                   f"-http=127.0.0.1:{port}", self.profile],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            # pprof prints this line once it listens.
            line = read_line(server.stdout, "pprof's Serving line", 120)
            self.assertEqual(line.strip(), f"Serving web UI on http://127.0.0.1:{port}")
            base = f"http://127.0.0.1:{port}/ui"
            with urllib.request.urlopen(f"{base}/top?si=inuse_space", timeout=60) as page:
                top_page = page.read().decode()
            with urllib.request.urlopen(f"{base}/flamegraph?si=inuse_space", timeout=60) as page:
                flame_page = page.read().decode()
        finally:
            server.kill()
            server.wait()
        table = json.loads(re.search(r"makeTopTable\(\s*\d+\s*,\s*(\[.*\])\);", top_page).group(1))
        cumulative = {row["Name"]: row["Cum"] for row in table}
        expected = sums_by_site(ground_truth.UNFREED)
        self.assertEqual({site: cumulative.get(site) for site in expected},
                         {site: figures[0] for site, figures in expected.items()})
        for site in expected:
            self.assertIn(f'"{site}"', flame_page)

    def test_mappings_carry_build_ids(self):
        run = self.trace()
        raw = go_pprof("-raw", self.profile)
        mappings = {}
        for line in raw.split("Mappings\n", 1)[1].splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[0].endswith(":"):
                mappings[fields[2]] = fields[3:]
        executable = os.path.realpath(target_path("ground_truth"))
        self.assertIn(executable, mappings, raw)
        self.assertEqual(mappings[executable][0], build_id(executable))
        self.assertIn("[FN]", mappings[executable])
        # The program's mapping comes first: pprof takes it for the main binary.
        self.assertEqual(raw.split("Mappings\n", 1)[1].split()[2], executable, raw)
        self.assertIn("File: ground_truth\n", go_pprof("-top", self.profile))
        # Every object the stacks pass through is there, with its own build ID.
        objects = {site["object"] for stack in run.json["stacks"] for site in stack["sites"]
                   if site}
        self.assertEqual(set(mappings), objects)
        for path in objects:
            self.assertEqual(mappings[path][0], build_id(path), path)


class SourceSites(InDirectory):
    """tests/targets/source_sites.c: lines, an inlined helper, and a stripped copy."""

    def trace(self, executable, *args):
        target = WaitingTarget(executable)
        try:
            run = trace_waiting_target("memstacks", target, ["--pprof", self.profile, *args])
            self.assertEqual(target.finish(), 0, "the target must finish normally")
        finally:
            target.kill()
        self.assertRunOk(run)
        return truth(target.output)

    def test_lines_and_the_inlined_helper(self):
        """With --lines each site is its own line of its function, and the helper
        inlined into calls_inlined is a line of calls_inlined's location, marked
        inline by pprof: its figures at both lines are the target's."""
        sites = self.trace(target_path("source_sites"), "--lines")
        output = go_pprof("-top", "-lines", "-nodefraction=0", "-unit=B", self.profile)
        rows = {}
        for line in output.splitlines():
            match = TOP_ROW.match(line)
            if match and FILE in match.group(3):
                function, place = match.group(3).split()[:2]
                if function not in ("two_lines", "inlined_helper", "calls_inlined"):
                    continue    # their callers: work, main
                rows[(function, int(place.rsplit(":", 1)[1]),
                      match.group(3).endswith("(inline)"))] = figure(match.group(2))
        line = marker_lines()
        self.assertEqual(rows, {
            ("two_lines", line["first_line"], False): sites["first_line"][0],
            ("two_lines", line["second_line"], False): sites["second_line"][0],
            ("inlined_helper", line["inlined_helper"], True): sites["inlined_helper"][0],
            ("calls_inlined", line["inlined_call"], False): sites["inlined_helper"][0],
        })

    def test_stripped_build_symbolized_again_by_pprof(self):
        """Frames no symbol named are object+offset, in a mapping that claims no
        functions, so pprof symbolizes them again against the unstripped build,
        each at the call the offset returns to: the sites' figures come back."""
        unstripped = os.path.realpath(target_path("source_sites"))
        executable = shutil.copy2(unstripped, os.path.join(self.directory, "server"))
        subprocess.run(["objcopy", "--strip-all", executable], check=True)
        sites = self.trace(executable)
        raw = go_pprof("-raw", self.profile)
        mapping = [line for line in raw.split("Mappings\n", 1)[1].splitlines()
                   if f" {executable} " in line + " "]
        self.assertEqual(len(mapping), 1, raw)
        self.assertNotIn("[FN]", mapping[0])
        self.assertEqual(mapping[0].split()[3], build_id(unstripped))
        self.assertNotIn("two_lines", top(self.profile, "inuse_space"))
        # pprof 1.19 cannot read a build ID after a .note.gnu.property, so the
        # unstripped build is named on its command line, for the first mapping.
        result = subprocess.run(["go", "tool", "pprof", "-symbolize=local", "-top",
                                 "-nodefraction=0", "-unit=B", unstripped, self.profile],
                                capture_output=True, text=True, timeout=120)
        rows = {INLINE_MARKS.sub("", match.group(3).strip()): figure(match.group(2))
                for match in map(TOP_ROW.match, result.stdout.splitlines()) if match}
        self.assertEqual({"two_lines": rows.get("two_lines"),
                          "calls_inlined": rows.get("calls_inlined")},
                         {"two_lines": sites["first_line"][0] + sites["second_line"][0],
                          "calls_inlined": sites["inlined_helper"][0]}, result.stdout)


class Processes(InDirectory):
    """A set's stacks (tests/report_writers.c, no BPF): each sample is labelled with
    its own process, a hostile comm kept as data."""

    def test_labels_of_each_process(self):
        subprocess.run([target_path("report_writers"), self.profile], check=True,
                       capture_output=True)
        stacks, labels = traces(self.profile)
        self.assertEqual(len(stacks), 4)
        by_process = {}
        for pid in ("100", "200"):
            output = go_pprof("-top", "-unit=B", "-nodefraction=0", f"-tagfocus=pid={pid}",
                              "-sample_index=inuse_space", self.profile)
            by_process[pid] = re.search(r"Showing nodes accounting for (\d+)B", output).group(1)
        self.assertEqual(by_process, {"100": "8202", "200": "1500"})
        raw = go_pprof("-raw", self.profile)
        self.assertIn("comm:[redis-server]", raw)
        self.assertIn("comm:[worker;\x1b[1m]", raw)
        self.assertEqual(raw.count("pid:[200]"), 2, raw)


def trail(directory, name="memstacks"):
    """The interval profiles written to `directory`, in order, and the final one."""
    numbered = sorted(glob.glob(os.path.join(directory, f"{name}-[0-9][0-9][0-9][0-9].pb.gz")))
    return numbered, os.path.join(directory, f"{name}-final.pb.gz")


class Intervals(InDirectory):
    def test_a_profile_per_interval_in_a_directory(self):
        run = trace_three_behaviours("memstacks", ["-i", "1", "6", "--pprof",
                                                   self.directory + "/"])
        self.assertRunOk(run)
        numbered, final = trail(self.directory)
        # Requests in flight may all be freed by the end, leaving no series.
        series = {site: stack["series"] for site, stack in by_site(run.json).items()}
        self.assertLessEqual({"steady_leak", "cache_fill"}, set(series))
        self.assertEqual(len(numbered), len(run.json["intervals"]["seconds"]))
        self.assertEqual(os.path.basename(numbered[0]), "memstacks-0001.pb.gz")
        # Each interval's profile holds what that interval's sample held, site by site.
        for index, profile in enumerate(numbered):
            rows = top(profile, "inuse_space")
            self.assertEqual({site: rows.get(site, (0, 0))[1] for site in series},
                             {site: values[index] for site, values in series.items()}, profile)
        rows = top(final, "inuse_space")
        self.assertEqual({site: rows.get(site, (0, 0))[1] for site in INTERVAL_SITES},
                         {site: by_site(run.json).get(site, {"bytes": 0})["bytes"]
                          for site in INTERVAL_SITES})
        # The final profile's samples carry their class.
        tags = go_pprof("-tags", final).split("\n\n")
        classes = [block for block in tags if block.strip().startswith("class:")]
        self.assertEqual(len(classes), 1, tags)
        self.assertEqual(set(re.findall(r"\): (.+)$", classes[0], re.M)),
                         {stack["class"] for stack in run.json["stacks"]})
        self.assertIn("leak suspect", classes[0])
        # Only that stack is the suspect: focused on the class, pprof shows the leak alone.
        focused = go_pprof("-top", "-tagfocus=class=leak suspect", "-unit=B", final)
        self.assertIn("steady_leak", focused)
        self.assertNotIn("cache_fill", focused)

    def test_a_profile_per_interval_by_pattern(self):
        pattern = os.path.join(self.directory, "unfreed-%03d-of-100%%.pb.gz")
        run = trace_three_behaviours("memstacks", ["-i", "1", "3", "--pprof", pattern])
        self.assertRunOk(run)
        names = sorted(os.listdir(self.directory))
        count = len(run.json["intervals"]["seconds"])
        self.assertEqual(names, sorted([f"unfreed-{n:03d}-of-100%.pb.gz"
                                        for n in range(1, count + 1)] +
                                       ["unfreed-final-of-100%.pb.gz"]))

    def test_pgfaultstacks_trail(self):
        run = trace_three_behaviours("pgfaultstacks", ["-i", "1", "3", "--pprof",
                                                       self.directory])
        self.assertRunOk(run)
        numbered, final = trail(self.directory, "pgfaultstacks")
        self.assertEqual(len(numbered), len(run.json["intervals"]["seconds"]))
        rows = top(final, "pages")
        leaves = {stack["frames"][-1] for stack in run.json["stacks"]}
        self.assertEqual(sum(rows[leaf][0] for leaf in leaves), run.json["pages"])


class Pgfaultstacks(InDirectory):
    def trace(self, *args):
        target = WaitingTarget("page_toucher")
        try:
            run = trace_waiting_target("pgfaultstacks", target,
                                       ["-T", "0", "--pprof", self.profile, *args])
        finally:
            target.kill()
        self.assertRunOk(run)
        return run, target.output

    def test_resident_pages_and_space_per_site(self):
        run, output = self.trace()
        expected = page_truth.expected(output)
        pages = top(self.profile, "pages")
        space = top(self.profile, "space")
        self.assertEqual({site: pages[site][0] for site in expected}, expected)
        self.assertEqual({site: space[site][0] for site in expected},
                         {site: count * 4096 for site, count in expected.items()})
        self.assertIn("File: page_toucher\nBuild ID: ", go_pprof("-top", self.profile))
        self.assertIn("Type: space", go_pprof("-top", self.profile))
        stacks, _ = traces(self.profile)
        self.assertEqual(stacks, text_stacks(run.stdout))

    def test_all_faults(self):
        run, _ = self.trace("--all-faults")
        faults = top(self.profile, "faults")
        by_leaf = {}
        for stack in run.json["stacks"]:
            leaf = stack["frames"][-1]
            by_leaf[leaf] = by_leaf.get(leaf, 0) + stack["faults"]
        sites = {leaf: count for leaf, count in by_leaf.items() if leaf in page_truth.SITES}
        self.assertTrue(sites, run)
        self.assertEqual({site: faults[site][0] for site in sites}, sites)
        self.assertIn("Type: faults", go_pprof("-top", self.profile))


class BadPaths(InDirectory):
    """Each fails in one line, before the command would start: its marker file stays absent."""

    def setUp(self):
        super().setUp()
        self.marker = os.path.join(self.directory, "started")

    def assertFailsAtOnce(self, tool, args, exit_code, message):
        run = run_command(tool, ["-c", f"touch {self.marker}", *args], json_report=False)
        self.assertEqual(run.returncode, exit_code, run)
        self.assertEqual(run.stderr.count("\n"), 1, run)
        self.assertRegex(run.stderr, rf"^{tool}: cannot {message}")
        self.assertFalse(os.path.exists(self.marker), "the command started")

    def test_directory_without_intervals(self):
        for tool in ("memstacks", "pgfaultstacks"):
            self.assertFailsAtOnce(tool, ["--pprof", self.directory], 1,
                                   rf"write {self.directory}: it is a directory \(.*-i")

    def test_unwritable_path(self):
        path = os.path.join(self.directory, "missing", "heap.pb.gz")
        self.assertFailsAtOnce("memstacks", ["--pprof", path], 1,
                               rf"write {path}: No such file or directory \(")
        self.assertFailsAtOnce("memstacks", ["-i", "1", "--pprof", path + "/"], 1,
                               rf"write {path}/memstacks-final.pb.gz: ")

    def test_bad_patterns(self):
        self.assertFailsAtOnce("memstacks", ["-i", "1", "--pprof", "heap-%s.pb.gz"], 2,
                               r"use --pprof 'heap-%s.pb.gz': .*%d")
        self.assertFailsAtOnce("pgfaultstacks", ["-i", "1", "--pprof", "p-%d-%d.pb.gz"], 2,
                               r"use --pprof 'p-%d-%d.pb.gz': .*not several")
        self.assertFailsAtOnce("memstacks", ["--pprof", "heap-%d.pb.gz"], 2,
                               r"use --pprof 'heap-%d.pb.gz': .*-i")


if __name__ == "__main__":
    unittest.main()

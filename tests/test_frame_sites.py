"""Where frames' code is: source lines and inlined calls from DWARF (--lines,
and the "sites" of the JSON), and names for code no symbol covers.

The target, tests/targets/source_sites.c, allocates on two lines of one
function and in a helper inlined into its caller; each allocating line carries
a marker comment that gives the test its number, and the target prints what it
allocated at each site. Stripped copies stand for a distribution's server: a
separate debug file found by build ID (in a private mount namespace, over
/usr/lib/debug) or by .gnu_debuglink must bring names and lines back, and
without one every unnamed frame must be object+offset, which addr2line on the
unstripped build turns into the right function.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, ToolTestCase, WaitingTarget, target_path, trace_waiting_target  # noqa: E402

SOURCE = os.path.join(ROOT, "tests", "targets", "source_sites.c")
FILE = "source_sites.c"
OBJECT_OFFSET = re.compile(r"(.+)\+0x([0-9a-f]+)")
INLINED = " (inlined)"


def marker_lines():
    """site name -> the number of the line carrying its marker comment."""
    with open(SOURCE) as source:
        return {match.group(1): number for number, line in enumerate(source, 1)
                for match in [re.search(r"/\* site:(\w+) \*/", line)] if match}


def truth(output):
    """site -> (bytes, allocations), as the target printed them."""
    sites = {}
    for line in output:
        fields = line.split()
        if fields and fields[0] == "leak":
            sites[fields[1]] = (int(fields[2]), int(fields[3]))
    return sites


def by_frames(report):
    """tuple of frames (root first) -> (bytes, allocations), summed."""
    stacks = {}
    for stack in report["stacks"]:
        key = tuple(stack["frames"])
        bytes_, count = stacks.get(key, (0, 0))
        stacks[key] = (bytes_ + stack["bytes"], count + stack["allocations"])
    return stacks


def ending_with(report, *leaf_frames):
    """The stacks whose last frames are `leaf_frames`: [(stack, sites)]."""
    n = len(leaf_frames)
    return [stack for stack in report["stacks"] if tuple(stack["frames"][-n:]) == leaf_frames]


def load_segments(path):
    """(file offset, size, virtual address) of each PT_LOAD of `path`, from readelf."""
    output = subprocess.run(["readelf", "-lW", path], check=True, capture_output=True,
                            text=True).stdout
    return [(int(fields[1], 16), int(fields[4], 16), int(fields[2], 16))
            for line in output.splitlines()
            for fields in [line.split()] if fields and fields[0] == "LOAD"]


def outermost_function(path, file_offset):
    """The function addr2line names for the call before the return address at
    `file_offset` of `path`: the outermost of its inlined chain."""
    for offset, size, address in load_segments(path):
        if offset <= file_offset < offset + size:
            virtual = file_offset - offset + address - 1
            break
    else:
        raise AssertionError(f"offset {file_offset:#x} is in no segment of {path}")
    lines = subprocess.run(["addr2line", "-f", "-i", "-e", path, hex(virtual)], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    return lines[-2]    # pairs of lines, function then file:line, innermost first


def build_id(path):
    output = subprocess.run(["readelf", "-n", path], check=True, capture_output=True,
                            text=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", output).group(1)


class FrameSites(ToolTestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="memstacks-sites-")
        self.lines = marker_lines()

    def tearDown(self):
        shutil.rmtree(self.directory)
        super().tearDown()

    def trace(self, executable, args, wrapper=()):
        """memstacks on `executable` started --wait: (run, truth)."""
        target = WaitingTarget(executable)
        try:
            run = trace_waiting_target("memstacks", target, args, wrapper=wrapper)
            self.assertEqual(target.finish(), 0, "the target must finish normally")
        finally:
            target.kill()
        self.assertEqual(run.returncode, 0, run)
        return run, truth(target.output)

    def stripped_copy(self):
        """The target with every symbol and its DWARF removed: (copy, its debug file).
        The debug file is kept apart, where no debugger looks unless told: beside
        the executable, libdw would find "source_sites.debug" by its name alone."""
        executable = shutil.copy2(target_path("source_sites"), self.directory)
        os.mkdir(os.path.join(self.directory, "kept"))
        debug_file = os.path.join(self.directory, "kept", "symbols")
        subprocess.run(["objcopy", "--only-keep-debug", executable, debug_file], check=True)
        subprocess.run(["objcopy", "--strip-all", executable], check=True)
        return executable, debug_file

    def assertLinesExact(self, run, sites):
        """Every leak site's stack, named with --lines, holds exactly the target's bytes."""
        line = self.lines
        expected = {
            "first_line": (f"two_lines {FILE}:{line['first_line']}",),
            "second_line": (f"two_lines {FILE}:{line['second_line']}",),
            "inlined_helper": (f"calls_inlined {FILE}:{line['inlined_call']}",
                               f"inlined_helper{INLINED} {FILE}:{line['inlined_helper']}"),
        }
        for site, frames in expected.items():
            stacks = ending_with(run.json, *frames, "malloc")
            self.assertEqual(len(stacks), 1, f"{site}: {frames}\n{run}")
            self.assertEqual((stacks[0]["bytes"], stacks[0]["allocations"]), sites[site], site)
            # The JSON's sites carry the same line, under the function's own name.
            leaf_site = stacks[0]["sites"][-2]
            self.assertTrue(leaf_site["file"].endswith("/" + FILE), leaf_site)
            self.assertEqual(leaf_site["line"], line[site], site)
            self.assertEqual(leaf_site.get("inlined", False), site == "inlined_helper", site)
            self.assertEqual(leaf_site["function"], frames[-1].split()[0], site)

    def test_lines_of_every_site(self):
        run, sites = self.trace("source_sites", ["--lines"])
        self.assertEqual(sites, {"first_line": (900, 3), "second_line": (700, 1),
                                 "inlined_helper": (3000, 2)})
        self.assertLinesExact(run, sites)
        # The text report shows the same names, leaf first.
        self.assertIn(f"\t\tinlined_helper{INLINED} {FILE}:{self.lines['inlined_helper']}\n"
                      f"\t\tcalls_inlined {FILE}:{self.lines['inlined_call']}\n", run.stdout)

    def test_names_alone_by_default(self):
        """Without --lines one function is one frame: its two lines merge, and its
        site keeps no line, which is no longer one; the inlined call keeps its own."""
        run, sites = self.trace("source_sites", [])
        merged = ending_with(run.json, "two_lines", "malloc")
        self.assertEqual(len(merged), 1, run)
        self.assertEqual(merged[0]["bytes"], sites["first_line"][0] + sites["second_line"][0])
        self.assertNotIn("line", merged[0]["sites"][-2])
        self.assertEqual(merged[0]["sites"][-2]["function"], "two_lines")
        inlined = ending_with(run.json, "calls_inlined", "inlined_helper" + INLINED, "malloc")
        self.assertEqual(len(inlined), 1, run)
        self.assertEqual(inlined[0]["bytes"], sites["inlined_helper"][0])
        self.assertEqual(inlined[0]["sites"][-2]["line"], self.lines["inlined_helper"])
        self.assertEqual(inlined[0]["sites"][-3]["line"], self.lines["inlined_call"])

    def test_flame_graph_tooltips_carry_lines(self):
        """Without --lines the SVG's frames keep their names, and a frame whose site
        knows its line carries it for the tooltip (data-site); one whose two lines
        merged carries none."""
        svg = os.path.join(self.directory, "sites.svg")
        self.trace("source_sites", ["--svg", svg])
        with open(svg) as f:
            text = f.read()
        sites = {title: site for site, title in re.findall(
            r'<g class="f"[^>]*?(?: data-site="([^"]*)")?><title>([^<]*)</title>', text)}
        self.assertEqual(sites["inlined_helper" + INLINED],
                         f"{FILE}:{self.lines['inlined_helper']}")
        self.assertEqual(sites["calls_inlined"], f"{FILE}:{self.lines['inlined_call']}")
        self.assertEqual(sites["two_lines"], "", "two lines merged: none is the frame's")

    def test_sites_carry_the_object_and_its_build_id(self):
        run, _ = self.trace("source_sites", [])
        executable = os.path.realpath(target_path("source_sites"))
        stack = ending_with(run.json, "two_lines", "malloc")[0]
        site = stack["sites"][-2]
        self.assertEqual(site["object"], executable)
        self.assertEqual(site["build_id"], build_id(executable))
        self.assertEqual(outermost_function(executable, site["offset"]), "two_lines")
        self.assertIsNone(stack["sites"][-1], "the allocator's leaf frame has no site")

    def test_stripped_build_names_object_offsets(self):
        """A stripped build without its debug file: no [unknown], and each frame no
        symbol names is object+offset, which addr2line on the unstripped build
        turns into the function the unstripped build's own trace names."""
        unstripped = os.path.realpath(target_path("source_sites"))
        named, _ = self.trace(unstripped, [])
        executable, _ = self.stripped_copy()
        run, _ = self.trace(executable, [])
        unnamed = 0
        translated = {}
        for frames, figures in by_frames(run.json).items():
            self.assertNotIn("[unknown]", frames, run)
            names = []
            for frame in frames:
                match = OBJECT_OFFSET.fullmatch(frame)
                if match and match.group(1) == os.path.basename(executable):
                    unnamed += 1
                    frame = outermost_function(unstripped, int(match.group(2), 16))
                names.append(frame)
            key = tuple(names)
            old = translated.get(key, (0, 0))
            translated[key] = (old[0] + figures[0], old[1] + figures[1])
        self.assertGreaterEqual(unnamed, 3 * 4, "the target's frames had no names")
        # The unstripped build names the inlined helper too; the stripped one cannot.
        expected = {}
        for frames, figures in by_frames(named.json).items():
            key = tuple(frame for frame in frames if not frame.endswith(INLINED))
            old = expected.get(key, (0, 0))
            expected[key] = (old[0] + figures[0], old[1] + figures[1])
        self.assertEqual(translated, expected)

    def test_debug_file_found_by_build_id(self):
        """The stripped build's debug file installed under its build ID brings names
        and lines back. It is installed in a private mount namespace of the tool's,
        on a tmpfs over /usr/lib/debug: nothing of the host's is written."""
        self.assertTrue(os.path.isdir("/usr/lib/debug"), "/usr/lib/debug must exist to mount over")
        executable, debug_file = self.stripped_copy()
        identity = build_id(executable)
        installed = f"/usr/lib/debug/.build-id/{identity[:2]}/{identity[2:]}.debug"
        install = (f"mount -t tmpfs none /usr/lib/debug && mkdir -p {os.path.dirname(installed)}"
                   f" && cp {debug_file} {installed} && exec \"$@\"")
        run, sites = self.trace(executable, ["--lines", "-v"],
                                wrapper=["unshare", "-m", "sh", "-c", install, "sh"])
        self.assertIn(f"memstacks: names in {executable}: its debug file {installed}, found by "
                      "build ID; lines: its debug file's DWARF", run.stderr)
        self.assertLinesExact(run, sites)

    def test_debug_file_found_by_debuglink(self):
        executable, kept = self.stripped_copy()
        # The link names a file beside the executable, where gdb and libdw look.
        debug_file = shutil.move(kept, executable + ".dbg")
        subprocess.run(["objcopy", f"--add-gnu-debuglink={debug_file}", executable], check=True)
        run, sites = self.trace(executable, ["--lines", "-v"])
        self.assertIn(f"memstacks: names in {executable}: its debug file {debug_file}, found by "
                      ".gnu_debuglink; lines: its debug file's DWARF", run.stderr)
        self.assertLinesExact(run, sites)


if __name__ == "__main__":
    unittest.main()

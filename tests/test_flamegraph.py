"""--svg: a well-formed, self-contained flame graph in which names are text, never markup."""
import html
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(__file__))
from harness import (ToolTestCase, WaitingTarget, svg_of_command,  # noqa: E402
                     svg_of_waiting_target, trace_waiting_target)

SVG = "{http://www.w3.org/2000/svg}"
# Every element the writer makes; anything else would have come from a name.
OUR_ELEMENTS = {SVG + tag for tag in ("svg", "style", "rect", "text", "g", "title", "script")}


def parse_svg(path):
    lint = subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)
    assert lint.returncode == 0, f"not well-formed XML: {lint.stderr}"
    return ElementTree.parse(path).getroot()


def frame_titles(root):
    return [title.text for title in root.iter(SVG + "title")]


class FlameGraph(ToolTestCase):
    def test_markup_in_names_stays_text(self):
        with tempfile.TemporaryDirectory() as directory:
            run, svg = svg_of_command("memstacks", "markup_names", directory)
            self.assertEqual(run.returncode, 0, run)
            root = parse_svg(svg)
        self.assertEqual({element.tag for element in root.iter()} - OUR_ELEMENTS, set())
        self.assertEqual(len(list(root.iter(SVG + "script"))), 1)
        titles = frame_titles(root)
        self.assertTrue(any(t.startswith("void leak_into<std::vector<std::pair<int, char>")
                            and "&>" in t for t in titles), titles)
        self.assertIn("Tag::operator<(Tag const&) const", titles)
        texts = [text.text or "" for text in root.iter(SVG + "text")]
        self.assertIn("Unfreed allocations", texts)

    def test_colours_tell_program_libraries_and_allocator_apart(self):
        with tempfile.TemporaryDirectory() as directory:
            run, svg = svg_of_command("memstacks", "ground_truth", directory)
            self.assertEqual(run.returncode, 0, run)
            root = parse_svg(svg)
        frames = [g for g in root.iter(SVG + "g") if g.get("class") == "f"]
        origin = {g.find(SVG + "title").text: g.get("data-origin") for g in frames}
        self.assertEqual(origin["malloc"], "allocator", "memstacks' leaf frames")
        self.assertEqual(origin["leak_malloc"], "program", "the target's own code")
        self.assertEqual(origin["__libc_start_call_main"], "library", "libc")
        fills = {}
        for g in frames:
            fill = g.find(SVG + "rect").get("fill")
            if not fill.startswith("#"):    # grey: frames that name no function
                fills.setdefault(g.get("data-origin"), set()).add(fill)
        for one, other in (("allocator", "program"), ("allocator", "library"),
                           ("program", "library")):
            self.assertFalse(fills[one] & fills[other], f"{one} and {other} share a colour")
        legend = [text.text for g in root.iter(SVG + "g") if g.get("class") == "legend"
                  for text in g.iter(SVG + "text")]
        self.assertEqual(legend, ["program", "library", "allocator"])

    def test_folded_renders_in_stackvis(self):
        """An independent tool reads -f output as we mean it: stackvis (npm,
        installed by scripts/install-deps.sh tests) draws every stack with its value."""
        stackvis = os.path.join(os.path.dirname(__file__), "..", ".tools", "node_modules", ".bin",
                                "stackvis")
        if not os.access(stackvis, os.X_OK):
            raise AssertionError(f"{stackvis} is missing: scripts/install-deps.sh tests installs it")
        target = WaitingTarget("ground_truth")
        try:
            run = trace_waiting_target("memstacks", target, ["-f"])
        finally:
            target.kill()
        self.assertEqual(run.returncode, 0, run)
        drawn = subprocess.run([stackvis, "collapsed", "flamegraph-svg"], input=run.stdout,
                               capture_output=True, text=True, check=True).stdout
        with tempfile.NamedTemporaryFile("w", suffix=".svg") as svg:
            svg.write(drawn)
            svg.flush()
            parse_svg(svg.name)
        lines = run.stdout.splitlines()
        self.assertGreater(len(lines), 10)
        for line in lines:
            stack, value = line.rsplit(" ", 1)
            self.assertIn(f"{html.escape(stack, quote=True)} ({int(value)} samples,", drawn)

    def test_frame_widths_follow_values(self):
        with tempfile.TemporaryDirectory() as directory:
            run, svg = svg_of_waiting_target("pgfaultstacks", "page_toucher", directory)
            self.assertEqual(run.returncode, 0, run)
            root = parse_svg(svg)
        total = int(root.get("data-total"))
        self.assertEqual(total, run.json["pages"])
        self.assertEqual(root.get("data-unit"), "pages")
        frames = {g.find(SVG + "title").text: g for g in root.iter(SVG + "g")
                  if g.get("class") == "f"}
        fresh = frames["write_fresh_pages"]
        self.assertEqual(int(fresh.get("data-w")), 100)
        all_width = float(frames["all"].find(SVG + "rect").get("width"))
        fresh_width = float(fresh.find(SVG + "rect").get("width"))
        self.assertAlmostEqual(fresh_width / all_width, 100 / total, places=3)


if __name__ == "__main__":
    unittest.main()

"""--svg: a well-formed, self-contained flame graph in which names are text, never markup."""
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(__file__))
from harness import (ToolTestCase, WaitingTarget, run_command, target_path,  # noqa: E402
                     trace_waiting_target)

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
            svg = os.path.join(directory, "unfreed.svg")
            run = run_command("memstacks", ["-c", target_path("markup_names"), "--svg", svg])
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

    def test_frame_widths_follow_values(self):
        target = WaitingTarget("page_toucher")
        with tempfile.TemporaryDirectory() as directory:
            svg = os.path.join(directory, "pages.svg")
            try:
                run = trace_waiting_target("pgfaultstacks", target, ["--svg", svg])
            finally:
                target.kill()
            self.assertEqual(run.returncode, 0, run)
            root = parse_svg(svg)
        total = int(root.get("data-total"))
        self.assertEqual(total, run.json["pages"])
        self.assertEqual(root.get("data-unit"), "pages")
        frames = {g.find(SVG + "title").text: g for g in root.iter(SVG + "g")}
        fresh = frames["write_fresh_pages"]
        self.assertEqual(int(fresh.get("data-w")), 100)
        all_width = float(frames["all"].find(SVG + "rect").get("width"))
        fresh_width = float(fresh.find(SVG + "rect").get("width"))
        self.assertAlmostEqual(fresh_width / all_width, 100 / total, places=3)


if __name__ == "__main__":
    unittest.main()

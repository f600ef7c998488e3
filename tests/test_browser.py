"""The flame graphs in a real browser: headless Chromium (Debian's chromium)
opens SVGs the tools wrote from real traces, with a probe script appended that
clicks and searches as a user would and records what the page then shows."""
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ToolTestCase, svg_of_command, svg_of_waiting_target  # noqa: E402
from test_diff import diff, trace_run  # noqa: E402

# Clicks ZOOM (a frame's name), resets, searches SEARCH (prompt() answers it),
# and leaves the results, as JSON, in an attribute of the root element.
PROBE = """<script><![CDATA[
(function () {
  var out = {}, root = document.documentElement, zoom = ZOOM, search = SEARCH;
  var frames = [].slice.call(document.querySelectorAll('g.f'));
  function name(g) { return g.querySelector('title').getAttribute('data-name'); }
  function click(e) { e.dispatchEvent(new MouseEvent('click', {bubbles: true})); }
  function hidden() {
    return frames.filter(function (g) { return getComputedStyle(g).display === 'none'; }).length;
  }
  out.frames = frames.length;
  out.drawn = frames.filter(function (g) {
    var box = g.querySelector('rect').getBBox(); return box.width > 0 && box.height > 0;
  }).length;
  out.elements = [].slice.call(document.querySelectorAll('*')).map(function (e) {
    return e.localName; });
  out.names = frames.map(name);
  out.tooltips = frames.map(function (g) { return g.querySelector('title').textContent; });
  out.fills = frames.map(function (g) { return getComputedStyle(g.querySelector('rect')).fill; });
  var target = frames.filter(function (g) { return name(g) === zoom; })[0];
  out.width_before = target.querySelector('rect').getBBox().width;
  click(target);
  out.width_zoomed = target.querySelector('rect').getBBox().width;
  out.hidden_zoomed = hidden();
  click(document.getElementById('reset'));
  out.hidden_reset = hidden();
  out.width_reset = target.querySelector('rect').getBBox().width;
  window.prompt = function () { return search; };
  click(document.getElementById('search'));
  out.highlighted = frames.filter(function (g) {
    return g.querySelector('rect').style.stroke !== ''; }).map(name);
  out.matched = document.getElementById('matched').textContent;
  root.setAttribute('data-probe', JSON.stringify(out));
})();
]]></script>
</svg>"""

# The drawing area: the SVG's width (1200) less its two 10-pixel margins.
FULL_WIDTH = 1180


def open_in_chromium(svg, zoom, search):
    """What the probe recorded once Chromium loaded `svg` and ran its scripts."""
    chromium = shutil.which("chromium")
    if not chromium:
        raise AssertionError("chromium is missing: scripts/install-deps.sh tests installs it")
    with open(svg) as f:
        text = f.read()
    probe = PROBE.replace("ZOOM", json.dumps(zoom)).replace("SEARCH", json.dumps(search))
    probed = svg + ".probed.svg"
    with open(probed, "w") as f:
        f.write(text.replace("</svg>", probe))
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                              f"--user-data-dir={profile}", "--dump-dom", "file://" + probed],
                             capture_output=True, text=True, timeout=120).stdout
    match = re.search(r'data-probe="([^"]*)"', dom)
    if not match:
        raise AssertionError(f"the probe did not run; Chromium printed: {dom[:2000]!r}")
    return json.loads(html.unescape(match.group(1)))


class Browser(ToolTestCase):
    def assertInteractive(self, result, zoom, search):
        self.assertGreater(result["frames"], 3)
        self.assertEqual(result["drawn"], result["frames"], "every frame has a box")
        self.assertLess(result["width_before"], FULL_WIDTH)
        self.assertAlmostEqual(result["width_zoomed"], FULL_WIDTH, delta=1, msg="click zooms")
        self.assertGreater(result["hidden_zoomed"], 0, "frames outside the zoom are hidden")
        self.assertEqual(result["hidden_reset"], 0)
        self.assertAlmostEqual(result["width_reset"], result["width_before"], delta=0.5)
        self.assertIn(search, result["highlighted"], "search highlights")
        self.assertTrue(all(search in name for name in result["highlighted"]), result)
        self.assertRegex(result["matched"], r"^Matched: \d+\.\d\d%$")

    def test_memstacks(self):
        with tempfile.TemporaryDirectory() as directory:
            run, svg = svg_of_command("memstacks", "ground_truth", directory)
            self.assertEqual(run.returncode, 0, run)
            result = open_in_chromium(svg, "leak_malloc", "leak_calloc")
        self.assertInteractive(result, "leak_malloc", "leak_calloc")

    def test_pgfaultstacks(self):
        with tempfile.TemporaryDirectory() as directory:
            run, svg = svg_of_waiting_target("pgfaultstacks", "page_toucher", directory)
            self.assertEqual(run.returncode, 0, run)
            result = open_in_chromium(svg, "write_fresh_pages", "write_fresh_pages")
        self.assertInteractive(result, "write_fresh_pages", "write_fresh_pages")
        share = 100 * 100 / run.json["pages"]
        self.assertEqual(result["matched"], f"Matched: {share:.2f}%")

    def test_differential(self):
        """memstacks --diff of diff_truth's two runs: the site that grew is red, the frames
        whose total shrank blue, the unchanged grey; tooltips say before, after and delta."""
        with tempfile.TemporaryDirectory() as directory:
            truths = []
            for which in ("first", "second"):
                run, path, truth = trace_run("memstacks", "heap", which, directory)
                self.assertEqual(run.returncode, 0, run)
                truths.append((path, truth))
            svg = os.path.join(directory, "diff.svg")
            code, _, err = diff("memstacks", truths[0][0], truths[1][0], "--svg", svg)
            self.assertEqual(code, 0, err)
            result = open_in_chromium(svg, "growing_site", "growing_site")
        self.assertInteractive(result, "growing_site", "growing_site")
        (_, first), (_, second) = truths
        frames = dict(zip(result["names"], zip(result["fills"], result["tooltips"])))
        self.assertNotIn("vanishing_site", frames, "width by after: what went takes none")
        fill, tooltip = frames["growing_site"]
        self.assertRegex(fill, r"^rgb\(255, (\d+), \1\)$", "growth is red")
        before, after = first["growing_site"], second["growing_site"]
        self.assertRegex(tooltip, rf"^growing_site \(before {before} bytes, after {after} bytes, "
                                  rf"delta \+{after - before} bytes\) at diff_truth\.c:\d+$")
        fill, tooltip = frames["main"]
        self.assertRegex(fill, r"^rgb\((\d+), \1, 255\)$", "shrinkage is blue")
        before, after = sum(first.values()), sum(second.values())
        self.assertTrue(tooltip.startswith(f"main (before {before} bytes, after {after} bytes, "
                                           f"delta {after - before} bytes)"), tooltip)
        fill, tooltip = frames["steady_site"]
        self.assertEqual(fill, "rgb(200, 200, 200)", "unchanged is grey")
        self.assertIn("delta 0 bytes", tooltip)

    def test_markup_in_names_renders_as_text(self):
        """C++ names full of <, > and & stay text: no element but the writer's
        (and the probe's script) exists in the rendered page."""
        with tempfile.TemporaryDirectory() as directory:
            run, svg = svg_of_command("memstacks", "markup_names", directory)
            self.assertEqual(run.returncode, 0, run)
            result = open_in_chromium(svg, "main", "Tag::operator<")
        self.assertEqual(set(result["elements"]),
                         {"svg", "style", "rect", "text", "g", "title", "script"})
        self.assertEqual(result["elements"].count("script"), 2, "ours and the probe's")
        self.assertTrue(any(name.startswith("void leak_into<std::vector<std::pair<int, char>")
                            and "&>" in name for name in result["names"]), result["names"])
        self.assertIn("Tag::operator<(Tag const&) const", result["highlighted"])


if __name__ == "__main__":
    unittest.main()

"""kernel_behaviour: its decision fed both kinds of measurement, and its probe on this kernel."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from kernel_behaviour import measure_read, read_gives_page, reads_give_pages  # noqa: E402

PAGES = 4096
# What RSS counters that lag by a batch of 64 pages on each of two CPUs may hide.
LAG_KB = 2 * 64 * 4


class Decision(unittest.TestCase):
    def test_a_page_for_each_read(self):
        self.assertIs(read_gives_page(PAGES, PAGES * 4), True)
        self.assertIs(read_gives_page(PAGES, PAGES * 4 - LAG_KB), True)
        self.assertIs(read_gives_page(PAGES, PAGES * 4 + LAG_KB), True)

    def test_the_zero_page_for_each_read(self):
        self.assertIs(read_gives_page(PAGES, 0), False)
        self.assertIs(read_gives_page(PAGES, LAG_KB), False)
        self.assertIs(read_gives_page(PAGES, -LAG_KB), False)

    def test_neither_answer_is_an_error(self):
        with self.assertRaisesRegex(AssertionError, "neither a page each nor the zero page"):
            read_gives_page(PAGES, PAGES * 2)


class Probe(unittest.TestCase):
    def test_rss_and_the_page_map_agree(self):
        """RssAnon, which the decision reads, and the page map, by which page_toucher
        counts its sites: two ways the kernel tells, one answer."""
        probe = measure_read()
        self.assertEqual(probe.pages_read, PAGES)
        gave = read_gives_page(probe.pages_read, probe.rss_anon_growth_kb)
        self.assertEqual(probe.own_pages, probe.pages_read if gave else 0, probe)

    def test_this_kernel(self):
        """A kernel booted with pvm_no_zero_page=1 gives a page; any other maps the
        zero page, as mainline does."""
        with open("/proc/cmdline") as cmdline:
            no_zero_page = "pvm_no_zero_page=1" in cmdline.read().split()
        self.assertIs(reads_give_pages(), no_zero_page)


if __name__ == "__main__":
    unittest.main()

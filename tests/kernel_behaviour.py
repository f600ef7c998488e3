"""What the kernel under test does that expected figures depend on, measured, never assumed.

Does a read of untouched anonymous memory give the process a page of its own
(RSS grows), or map the shared zero page (it does not)? Mainline kernels map
the zero page; kernels booted with pvm_no_zero_page=1 give a page. The
question is put to tests/targets/read_probe, a fresh process, and answered
in two steps: measure_read() runs it, read_gives_page() decides from its
figures alone.
"""
import subprocess
from collections import namedtuple

from harness import LINE_TIMEOUT_S, target_path

PAGE_KB = 4
# Shares of the pages read by which RSS grew that answer each way; the probe
# reads enough pages that the kernel's lagging RSS counters stay far inside.
GAVE_PAGES_SHARE = 0.9
MAPPED_ZERO_PAGE_SHARE = 0.1

ReadProbe = namedtuple("ReadProbe", "pages_read rss_anon_growth_kb own_pages")


def measure_read():
    """What read_probe saw: pages read, RssAnon growth over the reads, pages of its own after."""
    run = subprocess.run([target_path("read_probe")], capture_output=True, text=True,
                         timeout=LINE_TIMEOUT_S)
    if run.returncode != 0:
        raise AssertionError(f"read_probe failed with {run.returncode}: {run.stderr}")
    fields = {line.split()[0]: [int(value) for value in line.split()[1:]]
              for line in run.stdout.splitlines()}
    before_kb, after_kb = fields["rss_anon_kb"]
    return ReadProbe(fields["pages_read"][0], after_kb - before_kb, fields["own_pages"][0])


def read_gives_page(pages_read, rss_anon_growth_kb):
    """True if RSS grew by (nearly) a page per page read, False if it (nearly) did not;
    anything between is neither answer, and an error."""
    share = rss_anon_growth_kb / (pages_read * PAGE_KB)
    if share >= GAVE_PAGES_SHARE:
        return True
    if share <= MAPPED_ZERO_PAGE_SHARE:
        return False
    raise AssertionError(f"reading {pages_read} untouched pages made RssAnon grow by "
                         f"{rss_anon_growth_kb} kB: neither a page each nor the zero page")


def reads_give_pages():
    """The answer for the kernel running the tests."""
    probe = measure_read()
    return read_gives_page(probe.pages_read, probe.rss_anon_growth_kb)

"""What tests/targets/page_toucher.c makes resident, site by site, in 4 KiB pages.

A site is the function whose instruction faulted: the leaf frame. A site
absent from the table must be absent from the report.
"""
import re

SITES = {"write_fresh_pages", "write_then_unmap", "write_then_dontneed", "rewrite_resident",
         "read_zero_pages", "write_after_read", "read_file_pages", "touch_huge_region",
         "write_shared_pages"}

FILE_PAGES = 64
SHARED_PAGES = 8
SMALL_BLOCK_PAGES = 256 * 512 // 4096     # fill_small_blocks: 256 blocks of 512 bytes
# Their pages are first written by malloc's own headers, inside libc, whose
# stacks end early: they are checked as what is left of the total.
SMALL_BLOCK_SLACK = 4


def expected(target_output):
    """Per-site pages; the huge region depends on how many huge pages the kernel granted."""
    granted = int(re.search(r"huge_pages (\d+)", "".join(target_output)).group(1))
    return {
        "write_fresh_pages": 100,
        "write_after_read": 20,           # first read (zero page), then written
        "read_file_pages": FILE_PAGES,    # most mapped around a fault, not faulted
        "touch_huge_region": 512 * granted if granted else 2,
        "write_shared_pages": SHARED_PAGES,
    }


def per_site(report):
    sites = {}
    for stack in report["stacks"]:
        leaf = stack["frames"][-1]
        if leaf in SITES:
            sites[leaf] = sites.get(leaf, 0) + stack["pages"]
    return sites

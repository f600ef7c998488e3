"""What tests/targets/page_toucher.c made resident, site by site, in 4 KiB pages.

A site is the function whose instruction faulted: the leaf frame. A site
absent from the table must be absent from the report.

None of it is assumed: the kernel decides what a read of untouched memory
gives and whether a huge page is granted, so the target counts, after each
site, the pages of its own the site gained (in its page map), and prints
them: "site NAME PAGES" for each call of a site, "small_blocks PAGES" for
the heap pages fill_small_blocks gained.
"""
import re

SITES = {"write_fresh_pages", "write_then_unmap", "write_then_dontneed", "rewrite_resident",
         "read_zero_pages", "write_after_read", "read_file_pages", "touch_huge_region",
         "write_shared_pages"}

# The target's regions that are read first: one then written, one only read.
READ_THEN_WRITTEN_PAGES = 20
READ_ONLY_PAGES = 10


def expected(target_output):
    """Per-site pages, from the target's own count; sites that gained none left out."""
    sites = {}
    for name, pages in re.findall(r"^site (\S+) (-?\d+)$", "".join(target_output), re.MULTILINE):
        if name not in SITES:
            raise AssertionError(f"the target counted a site the tests do not know: {name}")
        sites[name] = sites.get(name, 0) + int(pages)
    if not sites:
        raise AssertionError(f"no site counts in the target's output: {target_output!r}")
    return {name: pages for name, pages in sites.items() if pages}


def small_block_pages(target_output):
    """The heap pages fill_small_blocks gained: mostly first written by malloc's own
    chunk headers, inside libc, so they are not in any site's table."""
    return int(re.search(r"^small_blocks (\d+)$", "".join(target_output), re.MULTILINE).group(1))


def read_split(sites):
    """Of per-site pages, those of the sites that read and write the regions read first."""
    return {name: pages for name, pages in sites.items()
            if name in ("read_zero_pages", "write_after_read")}


def read_split_for(reads_give_pages):
    """What read_split must be, by whether a read of untouched memory gives a page of
    its own (kernel_behaviour.reads_give_pages) or maps the shared zero page."""
    if reads_give_pages:
        return {"read_zero_pages": READ_THEN_WRITTEN_PAGES + READ_ONLY_PAGES}
    return {"write_after_read": READ_THEN_WRITTEN_PAGES}


def per_site(report):
    sites = {}
    for stack in report["stacks"]:
        leaf = stack["frames"][-1]
        if leaf in SITES:
            sites[leaf] = sites.get(leaf, 0) + stack["pages"]
    return sites

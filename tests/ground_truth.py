"""What tests/targets/ground_truth.c allocates, site by site: (bytes, allocations).

A site is the function that called the allocator; the leaf is the allocator
function memstacks names. A site absent from a table must be absent from the
report. glibc's memalign is an alias of aligned_alloc (one address), so calls to
either show aligned_alloc.
"""

SITES = {
    "leak_malloc", "leak_calloc", "grow_start", "grow_realloc", "leak_realloc_null",
    "zero_start", "zero_realloc", "leak_reallocarray_null", "array_start", "array_grow",
    "leak_posix_memalign", "leak_posix_memalign_small", "leak_aligned_alloc", "leak_memalign",
    "leak_valloc", "leak_pvalloc", "fail_site", "fail_beyond_address_space",
    "free_null_and_old", "churn", "thread_leak", "producer_alloc",
}

UNFREED = {
    ("leak_malloc", "malloc"): (10 * 1000, 10),
    ("leak_calloc", "calloc"): (4 * 25 * 40, 4),
    ("grow_realloc", "realloc"): (5000, 1),            # its malloc(100) was replaced
    ("leak_realloc_null", "realloc"): (3000, 1),       # glibc tail-calls malloc: counted once
    ("leak_reallocarray_null", "reallocarray"): (30 * 100, 1),
    ("array_grow", "reallocarray"): (2 * 1000, 1),
    ("leak_posix_memalign", "posix_memalign"): (3 * 1234, 3),
    ("leak_posix_memalign_small", "posix_memalign"): (2 * 500, 2),  # calls malloc inside
    ("leak_aligned_alloc", "aligned_alloc"): (2 * 2048, 2),
    ("leak_memalign", "aligned_alloc"): (1000, 1),
    ("leak_valloc", "valloc"): (5000, 1),
    ("leak_pvalloc", "pvalloc"): (100, 1),
    ("thread_leak", "malloc"): (4 * 5 * 2000, 20),     # four threads made while tracing
}

# -a: every request, frees ignored; requests larger than the user address
# space are not counted (FAILED), one that fails inside it is (2^46).
ALL = dict(UNFREED)
ALL.update({
    ("grow_start", "malloc"): (100, 1),
    ("zero_start", "malloc"): (700, 1),
    ("zero_realloc", "realloc"): (0, 1),
    ("array_start", "malloc"): (64, 1),
    ("churn", "malloc"): (10000 * 64, 10000),
    ("producer_alloc", "malloc"): (8 * 300, 8),        # freed by another thread
    ("fail_site", "malloc"): (1 << 46, 1),
})

# -a: the requests larger than the user address space, reported apart:
# (site, leaf) -> (requests, largest bytes). SIZE_MAX, and an overflowing
# count * size as UINT64_MAX.
SIZE_MAX = 2**64 - 1
FAILED = {
    ("fail_site", "malloc"): (1, SIZE_MAX),
    ("fail_site", "calloc"): (1, SIZE_MAX),
    ("fail_site", "reallocarray"): (1, SIZE_MAX),
    ("fail_beyond_address_space", "malloc"): (3, 1 << 62),
}

# Where each site is called from, root side: stacks must hold the direct caller.
CALLERS = {"thread_leak": ["leaking_thread"], "producer_alloc": ["producer_thread"]}
DEFAULT_CALLERS = ["main", "run_sites"]


def site_stacks(stacks, site_names=SITES):
    """((site, leaf), stack) for each of `stacks` (a JSON report's) from the target's own sites."""
    for stack in stacks:
        frames = stack["frames"]
        if len(frames) >= 2 and frames[-2] in site_names:
            yield (frames[-2], frames[-1]), stack


def per_site(report, site_names=SITES):
    """(site, leaf) -> (bytes, allocations) for the target's own sites, from a JSON report."""
    sites = {}
    for key, stack in site_stacks(report["stacks"], site_names):
        bytes_, count = sites.get(key, (0, 0))
        sites[key] = (bytes_ + stack["bytes"], count + stack["allocations"])
    return sites


def failed_per_site(report, site_names=SITES):
    """(site, leaf) -> (requests, largest bytes) of -a's failed requests, from a JSON report."""
    sites = {}
    for key, stack in site_stacks(report["failed_requests"]["stacks"], site_names):
        count, largest = sites.get(key, (0, 0))
        sites[key] = (count + stack["requests"], max(largest, stack["largest_bytes"]))
    return sites

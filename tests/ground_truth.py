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
    "leak_valloc", "leak_pvalloc", "fail_site", "free_null_and_old", "churn", "thread_leak",
    "producer_alloc",
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

# -a: every request, frees ignored; requests no allocator can satisfy are not
# counted (SIZE_MAX, an overflowing calloc), one that fails later is (2^46).
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

# Where each site is called from, root side: stacks must hold the direct caller.
CALLERS = {"thread_leak": ["leaking_thread"], "producer_alloc": ["producer_thread"]}
DEFAULT_CALLERS = ["main", "run_sites"]


def per_site(report, site_names=SITES):
    """(site, leaf) -> (bytes, allocations) for the target's own sites, from a JSON report."""
    sites = {}
    for stack in report["stacks"]:
        frames = stack["frames"]
        if len(frames) >= 2 and frames[-2] in site_names:
            key = (frames[-2], frames[-1])
            bytes_, count = sites.get(key, (0, 0))
            sites[key] = (bytes_ + stack["bytes"], count + stack["allocations"])
    return sites

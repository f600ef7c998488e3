"""What the allocator-specific targets allocate, site by site: (bytes, allocations),
keyed by (site, leaf) as in ground_truth.py.

cpp_truth.cpp: the leaf is the operator the site called, as libstdc++ names it.
An allocator that makes two operators one function (one address) shows the
first name of our table for both: tcmalloc's and mimalloc's operator new[] is
their operator new (nm -D shows one address for _Znam and _Znwm).
"""
from types import SimpleNamespace

NEW = "operator new(unsigned long)"
NEW_ARRAY = "operator new[](unsigned long)"
NEW_NOTHROW = "operator new(unsigned long, std::nothrow_t const&)"
NEW_ARRAY_NOTHROW = "operator new[](unsigned long, std::nothrow_t const&)"
NEW_ALIGNED = "operator new(unsigned long, std::align_val_t)"
NEW_ARRAY_ALIGNED = "operator new[](unsigned long, std::align_val_t)"

_CPP_UNFREED = {
    ("leak_new", NEW): (3 * 100, 3),
    ("leak_new_array", NEW_ARRAY): (2 * 1000, 2),
    ("leak_new_nothrow", NEW_ARRAY_NOTHROW): (500, 1),
    ("leak_new_aligned", NEW_ALIGNED): (256, 1),
    ("leak_new_aligned_array", NEW_ARRAY_ALIGNED): (2 * 256, 1),
}
_CPP_ALL = dict(_CPP_UNFREED)
_CPP_ALL.update({
    ("churn_new", NEW): (50 * 100, 50),
    ("churn_new_array", NEW_ARRAY): (20 * 300, 20),
    ("churn_new_aligned", NEW_ALIGNED): (10 * 256, 10),
    ("churn_new_nothrow", NEW_NOTHROW): (5 * 40, 5),
})

CPP = SimpleNamespace(
    SITES={site for site, _ in _CPP_ALL},
    UNFREED=_CPP_UNFREED,
    ALL=_CPP_ALL,
    CALLERS={},
    DEFAULT_CALLERS=["main", "gate_run", "run_sites"],
)


def cpp_with_aliases(table, aliases):
    """The C++ table with leaves renamed where an allocator aliases one operator to another."""
    return {(site, aliases.get(leaf, leaf)): figures for (site, leaf), figures in table.items()}


# tcmalloc and mimalloc: each array operator new is the same function as its
# single-object twin; mimalloc keeps the nothrow array operator apart.
TCMALLOC_CPP_ALIASES = {NEW_ARRAY: NEW, NEW_ARRAY_ALIGNED: NEW_ALIGNED,
                        NEW_ARRAY_NOTHROW: NEW_NOTHROW}
MIMALLOC_CPP_ALIASES = {NEW_ARRAY: NEW, NEW_ARRAY_ALIGNED: NEW_ALIGNED}

# jemalloc_api_truth.c: xallocx keeps a block in place: a shrink that succeeds
# moves it to xallocx's stack at its new size, a growth that fails leaves it.
_JEMALLOC_API_UNFREED = {
    ("leak_mallocx", "mallocx"): (2 * 700, 2),
    ("leak_mallocx_aligned", "mallocx"): (5000, 1),
    ("leak_rallocx", "rallocx"): (4000, 1),
    ("shrink_xallocx", "xallocx"): (4000, 1),
    ("xallocx_kept_start", "mallocx"): (64, 1),
    ("leak_malloc", "malloc"): (1000, 1),
}
_JEMALLOC_API_ALL = dict(_JEMALLOC_API_UNFREED)
_JEMALLOC_API_ALL.update({
    ("rallocx_start", "mallocx"): (100, 1),
    ("xallocx_start", "mallocx"): (4096, 1),
    ("fail_xallocx", "xallocx"): (1 << 20, 1),       # requested, not granted
    ("churn_sdallocx", "mallocx"): (10 * 200, 10),
    ("churn_dallocx", "mallocx"): (10 * 300, 10),
    ("query_sizes", "mallocx"): (50, 1),             # the size queries count nothing
})

JEMALLOC_API = SimpleNamespace(
    SITES={site for site, _ in _JEMALLOC_API_ALL},
    UNFREED=_JEMALLOC_API_UNFREED,
    ALL=_JEMALLOC_API_ALL,
    CALLERS={},
    DEFAULT_CALLERS=["main", "gate_run", "run_sites"],
)

# dlopen_truth.c: through the malloc and free of a library loaded while tracing.
DLOPEN = SimpleNamespace(
    SITES={"leak_dlopened", "churn_dlopened"},
    UNFREED={("leak_dlopened", "malloc"): (4 * 1500, 4)},
    ALL={("leak_dlopened", "malloc"): (4 * 1500, 4), ("churn_dlopened", "malloc"): (3 * 100, 3)},
    CALLERS={},
    DEFAULT_CALLERS=["main"],
)

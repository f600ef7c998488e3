"""What tests/targets/forking_server.c and its workers allocate, read from the
truth lines they print:

    truth PID ROLE SITE ALLOCATOR UNFREED_BYTES UNFREED_ALLOCS ALL_BYTES ALL_ALLOCS

ROLE is server, fork or exec. Workers are started while traced, so their PIDs
are known only from these lines: the figures are per process, site by site.
"""
import re
from collections import namedtuple

TRUTH_LINE = re.compile(r"truth (\d+) (server|fork|exec) (\w+) (\w+) (\d+) (\d+) (\d+) (\d+)$")

# The figures of one site in one process.
Figures = namedtuple("Figures", "unfreed_bytes unfreed_allocs all_bytes all_allocs")


class ForkingTruth:
    """The truth lines of one run: `sites` is {pid: {site: Figures}}, `roles`
    {pid: role}, `allocators` {site: the allocator function it calls}."""

    def __init__(self, lines):
        self.sites, self.roles, self.allocators = {}, {}, {}
        for line in lines:
            match = TRUTH_LINE.match(line.strip())
            if not match:
                continue
            pid, role, site, allocator = int(match[1]), match[2], match[3], match[4]
            figures = Figures(*map(int, match.groups()[4:]))
            if site in self.sites.get(pid, {}):
                raise AssertionError(f"two truth lines for {site} of PID {pid}")
            self.sites.setdefault(pid, {})[site] = figures
            self.roles[pid] = role
            self.allocators[site] = allocator

    def pids(self, *roles):
        """The PIDs of the given roles (all when none is given), sorted."""
        return sorted(pid for pid, role in self.roles.items() if not roles or role in roles)

    def server_pid(self):
        servers = self.pids("server")
        if len(servers) != 1:
            raise AssertionError(f"expected one server in the truth lines, found {servers}")
        return servers[0]

    def per_site(self, pids=None, all_allocations=False):
        """(site, allocator) -> (bytes, allocations) summed over `pids` (all by
        default), unfreed or, with `all_allocations`, every allocation; sites
        that leave nothing are left out, as a report leaves them out."""
        totals = {}
        for pid in self.pids() if pids is None else pids:
            for site, figures in self.sites[pid].items():
                bytes_, count = (figures.all_bytes, figures.all_allocs) if all_allocations \
                    else (figures.unfreed_bytes, figures.unfreed_allocs)
                if not count:
                    continue
                key = (site, self.allocators[site])
                total_bytes, total_count = totals.get(key, (0, 0))
                totals[key] = (total_bytes + bytes_, total_count + count)
        return totals

    def total_bytes(self, pid, all_allocations=False):
        """What `pid` left unfreed (or allocated at all) over its sites."""
        return sum(f.all_bytes if all_allocations else f.unfreed_bytes
                   for f in self.sites[pid].values())

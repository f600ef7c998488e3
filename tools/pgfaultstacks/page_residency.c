#include "page_residency.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/growable_array.h"
#include "process/proc_maps.h"

/* Documentation/admin-guide/mm/pagemap.rst */
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_FILE_OR_SHARED_ANON (1ULL << 61)
#define PAGEMAP_PFN_MASK ((1ULL << 55) - 1)
#define KPF_HUGE 17		/* hugetlbfs: not counted in RSS */
#define KPF_THP 22
#define KPF_ZERO_PAGE 24	/* the shared zero page, or the huge zero page */

struct shared_mapping {
	uint64_t start;
	uint64_t end;
	bool shmem;		/* tmpfs-backed: memfd, /dev/shm, SysV, shared anonymous */
};

struct page_residency {
	int pagemap_fd;
	int kpageflags_fd;	/* -1 without CAP_SYS_ADMIN: no zero-page or THP check */
	struct shared_mapping *mappings;	/* address order */
	size_t count;
	size_t capacity;
};

static bool is_shmem_path(const char *path)
{
	static const char *const prefixes[] = {"/dev/zero", "/SYSV", "/memfd:", "/dev/shm/"};
	size_t i;

	if (!path[0])
		return true;	/* MAP_SHARED | MAP_ANONYMOUS */
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])))
			return true;
	}
	return false;
}

static int remember_mapping(const struct map_entry *entry, void *context)
{
	struct page_residency *residency = context;
	struct shared_mapping *mapping;

	if (growable_array__reserve(&residency->mappings, &residency->capacity, residency->count,
				    sizeof(*mapping)))
		return -ENOMEM;
	mapping = &residency->mappings[residency->count++];
	mapping->start = entry->start;
	mapping->end = entry->end;
	mapping->shmem = entry->shared && is_shmem_path(entry->path);
	return 0;
}

struct page_residency *page_residency__open(pid_t pid)
{
	struct page_residency *residency = calloc(1, sizeof(*residency));
	char path[64];
	int err;

	if (!residency)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	residency->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	residency->kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	err = residency->pagemap_fd < 0 ? -errno : proc_maps__foreach(pid, remember_mapping, residency);
	if (err) {
		page_residency__close(residency);
		errno = -err;
		return NULL;
	}
	return residency;
}

void page_residency__close(struct page_residency *residency)
{
	if (!residency)
		return;
	if (residency->pagemap_fd >= 0)
		close(residency->pagemap_fd);
	if (residency->kpageflags_fd >= 0)
		close(residency->kpageflags_fd);
	free(residency->mappings);
	free(residency);
}

/* Binary search over `count` address-ordered items of `size` bytes, each starting with start, end. */
static const void *find_range(const void *items, size_t count, size_t size, uint64_t address)
{
	size_t low = 0, high = count;

	while (low < high) {
		size_t middle = (low + high) / 2;
		const uint64_t *range = (const uint64_t *)((const char *)items + middle * size);

		if (address < range[0])
			high = middle;
		else if (address >= range[1])
			low = middle + 1;
		else
			return range;
	}
	return NULL;
}

static const struct shared_mapping *find_mapping(const struct page_residency *residency,
						 uint64_t address)
{
	return find_range(residency->mappings, residency->count, sizeof(*residency->mappings),
			  address);
}

bool page_residency__mapping(const struct page_residency *residency, uint64_t address,
			     uint64_t *start, uint64_t *end)
{
	const struct shared_mapping *mapping = find_mapping(residency, address);

	if (!mapping)
		return false;
	*start = mapping->start;
	*end = mapping->end;
	return true;
}

static uint64_t page_flags(const struct page_residency *residency, uint64_t pfn)
{
	uint64_t flags = 0;

	if (residency->kpageflags_fd < 0 || !pfn ||
	    pread(residency->kpageflags_fd, &flags, sizeof(flags), pfn * sizeof(flags)) !=
		    sizeof(flags))
		return 0;
	return flags;
}

int page_residency__check(struct page_residency *residency, uint64_t address,
			  struct page_state *state)
{
	const struct shared_mapping *mapping = find_mapping(residency, address);
	uint64_t entry = 0, flags;

	memset(state, 0, sizeof(*state));
	if (!mapping)
		return 0;	/* unmapped since the fault */
	if (pread(residency->pagemap_fd, &entry, sizeof(entry),
		  address / PAGE_SIZE_4K * sizeof(entry)) != sizeof(entry))
		return -errno;
	if (!(entry & PAGEMAP_PRESENT))
		return 0;	/* released (MADV_DONTNEED, a trimmed heap) or swapped out */
	flags = page_flags(residency, entry & PAGEMAP_PFN_MASK);
	if (flags & ((1ULL << KPF_ZERO_PAGE) | (1ULL << KPF_HUGE)))
		return 0;
	state->resident = true;
	state->huge = flags & (1ULL << KPF_THP);
	if (!(entry & PAGEMAP_FILE_OR_SHARED_ANON))
		state->class = PAGE_ANON;
	else
		state->class = mapping->shmem ? PAGE_SHMEM : PAGE_FILE;
	return 0;
}

/* Mappings larger than this are not read at the start (8 bytes of pagemap per page). */
#define BASELINE_MAX_MAPPING (1ULL << 30)
#define PAGEMAP_CHUNK 512

struct baseline_mapping {
	uint64_t start;
	uint64_t end;
	uint64_t *present;	/* one bit per page; NULL: taken as all present */
};

struct page_baseline {
	struct baseline_mapping *mappings;	/* address order */
	size_t count;
	size_t capacity;
	int pagemap_fd;
};

/* One bit per page of [start, end) from the page map. */
static uint64_t *read_present_bits(int pagemap_fd, uint64_t start, uint64_t end)
{
	uint64_t pages = (end - start) / PAGE_SIZE_4K, entries[PAGEMAP_CHUNK], i, j;
	uint64_t *bits = calloc((pages + 63) / 64, sizeof(*bits));
	ssize_t got;

	for (i = 0; bits && i < pages; i += PAGEMAP_CHUNK) {
		uint64_t chunk = pages - i < PAGEMAP_CHUNK ? pages - i : PAGEMAP_CHUNK;

		got = pread(pagemap_fd, entries, chunk * sizeof(*entries),
			    (start / PAGE_SIZE_4K + i) * sizeof(*entries));
		if (got != (ssize_t)(chunk * sizeof(*entries)))
			break;
		for (j = 0; j < chunk; j++) {
			if (entries[j] & PAGEMAP_PRESENT)
				bits[(i + j) / 64] |= 1ULL << ((i + j) % 64);
		}
	}
	return bits;
}

static int snapshot_mapping(const struct map_entry *entry, void *context)
{
	struct page_baseline *baseline = context;
	struct baseline_mapping *mapping;

	/* Fault-around only maps page-cache pages: those of files and shared memory. */
	if (entry->path[0] != '/' && !(entry->shared && is_shmem_path(entry->path)))
		return 0;
	if (growable_array__reserve(&baseline->mappings, &baseline->capacity, baseline->count,
				    sizeof(*mapping)))
		return -ENOMEM;
	mapping = &baseline->mappings[baseline->count++];
	mapping->start = entry->start;
	mapping->end = entry->end;
	mapping->present = entry->end - entry->start > BASELINE_MAX_MAPPING
				   ? NULL
				   : read_present_bits(baseline->pagemap_fd, entry->start, entry->end);
	return 0;
}

struct page_baseline *page_baseline__take(pid_t pid)
{
	struct page_baseline *baseline = calloc(1, sizeof(*baseline));
	char path[64];
	int err;

	if (!baseline)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	baseline->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	err = baseline->pagemap_fd < 0 ? -errno : proc_maps__foreach(pid, snapshot_mapping, baseline);
	if (baseline->pagemap_fd >= 0)
		close(baseline->pagemap_fd);
	if (err) {
		page_baseline__free(baseline);
		errno = -err;
		return NULL;
	}
	return baseline;
}

void page_baseline__free(struct page_baseline *baseline)
{
	size_t i;

	if (!baseline)
		return;
	for (i = 0; i < baseline->count; i++)
		free(baseline->mappings[i].present);
	free(baseline->mappings);
	free(baseline);
}

bool page_baseline__had(const struct page_baseline *baseline, uint64_t address)
{
	const struct baseline_mapping *mapping;
	uint64_t page;

	if (!baseline)
		return false;
	mapping = find_range(baseline->mappings, baseline->count, sizeof(*baseline->mappings),
			     address);
	if (!mapping)
		return false;
	if (!mapping->present)
		return true;
	page = (address - mapping->start) / PAGE_SIZE_4K;
	return mapping->present[page / 64] & (1ULL << (page % 64));
}

int page_baselines__take(struct page_baselines *baselines, pid_t pid)
{
	struct page_baseline *baseline;

	if (growable_array__reserve(&baselines->items, &baselines->capacity, baselines->count,
				    sizeof(*baselines->items)))
		return -ENOMEM;
	baseline = page_baseline__take(pid);
	if (!baseline)
		return -errno;
	baselines->items[baselines->count++] = (struct process_baseline){pid, baseline};
	return 0;
}

const struct page_baseline *page_baselines__of(const struct page_baselines *baselines, pid_t pid)
{
	size_t i;

	for (i = 0; i < baselines->count; i++) {
		if (baselines->items[i].pid == pid)
			return baselines->items[i].baseline;
	}
	return NULL;
}

void page_baselines__free(struct page_baselines *baselines)
{
	size_t i;

	for (i = 0; i < baselines->count; i++)
		page_baseline__free(baselines->items[i].baseline);
	free(baselines->items);
}

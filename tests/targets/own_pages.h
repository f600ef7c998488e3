/*
 * How many pages of a range the kernel has given the calling process a page
 * of its own for, read from /proc/self/pagemap: present, and file-backed or
 * shared memory (PM_FILE) or mapped by this process alone (PM_MMAP_EXCLUSIVE).
 * The shared zero page, which a read of untouched anonymous memory may map,
 * is present with neither bit, and RSS does not count it either. (A page
 * shared with a forked child would have neither too: the targets never fork.)
 *
 * Counting reads the page map into a static buffer through a descriptor
 * opened once: after own_pages_open, a count faults no page of its own, so
 * the figures it takes stay exact.
 */
#ifndef OWN_PAGES_H
#define OWN_PAGES_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Documentation/admin-guide/mm/pagemap.rst */
#define PM_PRESENT (1ULL << 63)
#define PM_FILE (1ULL << 61)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define OWN_PAGES_CHUNK 512
#define OWN_PAGES_PAGE 4096UL

static uint64_t own_pages_entries[OWN_PAGES_CHUNK];
static int own_pages_fd = -1;

/* Opens the page map and writes the buffer once, so that no count faults it in. */
static inline void own_pages_open(void)
{
	own_pages_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (own_pages_fd < 0)
		abort();
	memset(own_pages_entries, 0, sizeof(own_pages_entries));
}

static inline size_t own_pages(const void *start, size_t pages)
{
	uint64_t first = (uintptr_t)start / OWN_PAGES_PAGE;
	size_t own = 0;

	for (size_t done = 0; done < pages; done += OWN_PAGES_CHUNK) {
		size_t chunk = pages - done < OWN_PAGES_CHUNK ? pages - done : OWN_PAGES_CHUNK;
		ssize_t bytes = (ssize_t)(chunk * sizeof(own_pages_entries[0]));

		if (pread(own_pages_fd, own_pages_entries, bytes,
			  (off_t)((first + done) * sizeof(own_pages_entries[0]))) != bytes)
			abort();
		for (size_t i = 0; i < chunk; i++) {
			uint64_t entry = own_pages_entries[i];

			own += (entry & PM_PRESENT) && (entry & (PM_FILE | PM_MMAP_EXCLUSIVE));
		}
	}
	return own;
}

#endif

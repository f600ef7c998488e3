#include "pgfaultstacks_report.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/growable_array.h"
#include "bpf/map_entries.h"
#include "base/errors.h"
#include "trace/image_follower.h"

#define HUGE_PAGE_MASK (~(HUGE_PAGE_PAGES * PAGE_SIZE_4K - 1))

void pgfault_totals__read_counters(struct pgfault_totals *totals, struct bcc_module *program)
{
	int fd = bcc_module__map_fd(program, "counters");
	int which;

	memset(totals, 0, sizeof(*totals));
	for (which = 0; which < COUNTERS; which++) {
		if (fd < 0 || bpf_lookup_elem(fd, &which, &totals->counters[which]))
			totals->counters[which] = 0;
	}
}

/* The 64 KiB block the kernel maps page-cache pages in around a fault (fault_around_bytes). */
#define FAULT_AROUND_MASK (~(16 * PAGE_SIZE_4K - 1))

/* One recorded page, then what it weighs once checked. */
struct faulted_page {
	uint32_t tgid;
	uint64_t address;
	struct page_record record;
	uint64_t pages;		/* 0 dropped, 1, 512 for a huge page, more with fault-around */
	bool released;		/* given back after the fault: the record is stale */
	enum page_class class;
};

struct faulted_pages {
	struct faulted_page *items;
	size_t count;
	size_t capacity;
};

static int read_page(const void *key_data, const void *value, void *context)
{
	const struct page_key *key = key_data;
	struct faulted_pages *pages = context;

	if (growable_array__reserve(&pages->items, &pages->capacity, pages->count,
				    sizeof(*pages->items)))
		return -ENOMEM;
	pages->items[pages->count++] = (struct faulted_page){
		.tgid = key->tgid, .address = key->page, .record = *(const struct page_record *)value};
	return 0;
}

static int read_pages(struct faulted_pages *pages, int fd)
{
	return map_entries__foreach(fd, sizeof(struct page_key), sizeof(struct page_record),
				    read_page, pages);
}

/* By process, then address: each process's pages are weighed apart. */
static int by_process(const void *a, const void *b)
{
	const struct faulted_page *left = a, *right = b;

	if (left->tgid != right->tgid)
		return left->tgid < right->tgid ? -1 : 1;
	return (left->address > right->address) - (left->address < right->address);
}

static int by_address(const void *a, const void *b)
{
	const struct faulted_page *left = a, *right = b;

	return (left->address > right->address) - (left->address < right->address);
}

static int by_stack(const void *a, const void *b)
{
	const struct faulted_page *left = a, *right = b;

	return (left->record.stack > right->record.stack) -
	       (left->record.stack < right->record.stack);
}

/* The first page at or after `address`, in pages sorted by address. */
static size_t first_at(const struct faulted_pages *pages, uint64_t address)
{
	size_t low = 0, high = pages->count;

	while (low < high) {
		size_t middle = (low + high) / 2;

		if (pages->items[middle].address < address)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

/*
 * Replays what the target released or moved, in the order it happened: a
 * release marks the older records in its range as gone; a move takes them to
 * their new address.
 */
static void replay_released(struct faulted_pages *pages, uint32_t tgid, int fd, uint64_t logged,
			    uint32_t max_released, struct pgfault_totals *totals)
{
	struct released_range range;
	bool moved = false;
	uint32_t slot;
	size_t i;

	if (logged > max_released) {
		totals->released_not_logged = logged - max_released;
		logged = max_released;
	}
	for (slot = 0; slot < logged; slot++) {
		if (bpf_lookup_elem(fd, &slot, &range) || range.tgid != tgid)
			continue;
		if (moved)
			qsort(pages->items, pages->count, sizeof(*pages->items), by_address);
		moved = false;
		for (i = first_at(pages, range.start);
		     i < pages->count && pages->items[i].address < range.end; i++) {
			struct faulted_page *page = &pages->items[i];

			if (page->record.fault_ns >= range.time_ns || page->released)
				continue;
			if (range.moved_to) {
				page->address = page->address - range.start + range.moved_to;
				moved = true;
			} else {
				page->released = true;
			}
		}
	}
	if (moved)
		qsort(pages->items, pages->count, sizeof(*pages->items), by_address);
	/* Records that ended at one address: the latest fault there is the page now. */
	for (i = 1; i < pages->count; i++) {
		struct faulted_page *before = &pages->items[i - 1], *page = &pages->items[i];

		if (before->address != page->address || before->released || page->released)
			continue;
		if (before->record.fault_ns < page->record.fault_ns)
			before->released = true;
		else
			page->released = true;
	}
}

static bool has_live_record(const struct faulted_pages *pages, uint64_t address)
{
	size_t i = first_at(pages, address);

	return i < pages->count && pages->items[i].address == address && !pages->items[i].released;
}

/*
 * Gives `page` the neighbours the kernel mapped around its fault: pages of
 * its 64 KiB block and of its mapping, [mapping_start, mapping_end), that
 * are resident now, were not at the start and have no fault of their own.
 */
static int claim_fault_around(struct faulted_pages *pages, struct faulted_page *page,
			      uint64_t mapping_start, uint64_t mapping_end,
			      struct page_residency *residency,
			      const struct page_baseline *baseline, struct pgfault_totals *totals)
{
	uint64_t neighbour, block = page->address & FAULT_AROUND_MASK;
	struct page_state state;
	int err;

	for (neighbour = block; neighbour < block + 16 * PAGE_SIZE_4K; neighbour += PAGE_SIZE_4K) {
		if (neighbour < mapping_start || neighbour >= mapping_end ||
		    neighbour == page->address || has_live_record(pages, neighbour) ||
		    page_baseline__had(baseline, neighbour))
			continue;
		err = page_residency__check(residency, neighbour, &state);
		if (err)
			return err;
		if (!state.resident || state.class != page->class)
			continue;
		page->pages++;
		totals->pages_by_class[state.class]++;
		totals->pages_around_faults++;
	}
	return 0;
}

/*
 * Weighs each recorded page by what is resident now. The pages of one huge
 * page count 512 once, for the latest fault among them; the file pages mapped
 * around the faults of one fault-around block go to one of them.
 */
static int weigh_pages(struct faulted_pages *pages, struct page_residency *residency,
		       const struct page_baseline *baseline, struct pgfault_totals *totals)
{
	struct faulted_page *latest_in_huge = NULL, *first_in_block = NULL;
	struct page_state state;
	size_t i;
	int err;

	for (i = 0; i < pages->count; i++) {
		struct faulted_page *page = &pages->items[i];

		if (!residency) {
			page->pages = 1;
			continue;
		}
		err = page_residency__check(residency, page->address, &state);
		if (err)
			return err;
		if (!state.resident || page->released)
			continue;
		page->class = state.class;
		if (state.huge) {
			if (latest_in_huge && (latest_in_huge->address & HUGE_PAGE_MASK) ==
						      (page->address & HUGE_PAGE_MASK)) {
				if (page->record.fault_ns <= latest_in_huge->record.fault_ns)
					continue;
				latest_in_huge->pages = 0;
			} else {
				totals->pages_by_class[state.class] += HUGE_PAGE_PAGES;
			}
			page->pages = HUGE_PAGE_PAGES;
			latest_in_huge = page;
			continue;
		}
		page->pages = 1;
		totals->pages_by_class[state.class]++;
	}
	/*
	 * Once every fault of a block is known, its neighbours go to one of them:
	 * the lowest, which is usually the first (the others found pages the
	 * first fault could not map). A block is also cut by mapping: two
	 * mappings can share one 64 KiB block.
	 */
	for (i = 0; residency && i < pages->count; i++) {
		struct faulted_page *page = &pages->items[i];
		uint64_t mapping_start, mapping_end;

		if (!page->pages || page->class == PAGE_ANON || page->pages == HUGE_PAGE_PAGES ||
		    !page_residency__mapping(residency, page->address, &mapping_start, &mapping_end))
			continue;
		if (first_in_block &&
		    (first_in_block->address & FAULT_AROUND_MASK) == (page->address & FAULT_AROUND_MASK) &&
		    first_in_block->address >= mapping_start)
			continue;
		first_in_block = page;
		err = claim_fault_around(pages, page, mapping_start, mapping_end, residency,
					 baseline, totals);
		if (err)
			return err;
	}
	return 0;
}

static void name_stack(int stack_map_fd, uint64_t stack, struct symbolizer *symbolizer,
		       struct frame_names *names)
{
	uint64_t addresses[MAX_STACK_DEPTH];
	size_t depth = stack_map__read(stack_map_fd, stack, addresses);

	symbolizer__name_stack(symbolizer, addresses, depth, false, names);
	if (stack == MISSED_STACK)
		frame_names__mark_missed(names);
}

/* Adds `pages` (sorted by stack) to the report, a stack of `naming`'s process each. */
static int add_stacks(struct stack_report *report, const struct faulted_pages *pages,
		      int stack_map_fd, const struct stack_naming *naming)
{
	static struct frame_names names;
	size_t i, first;
	int err = 0;

	for (first = 0; first < pages->count && !err; first = i) {
		uint64_t weight = 0, faults = 0;

		for (i = first; i < pages->count &&
				pages->items[i].record.stack == pages->items[first].record.stack;
		     i++) {
			weight += pages->items[i].pages;
			faults += pages->items[i].pages != 0;
		}
		if (!weight)
			continue;
		name_stack(stack_map_fd, pages->items[first].record.stack, naming->symbolizer,
			   &names);
		err = stack_report__add_owned(report, naming->owner, names.frames, names.depth,
					      weight, faults);
	}
	return err;
}

/*
 * One process's pages, `pages` sorted by address: those of its current image,
 * less what it released, weighed by its residency now (when it still runs),
 * then added by stack.
 */
static int collect_process(struct stack_report *report, struct pgfault_totals *totals,
			   struct faulted_pages *pages, struct trace_run *run,
			   const struct page_baseline *baseline, uint32_t max_released)
{
	struct bcc_module *program = run->program;
	struct page_residency *residency = NULL;
	struct stack_naming naming;
	size_t i, kept = 0;
	int err;

	err = trace_run__naming(run, pages->items[0].tgid, &naming);
	if (err)
		return err;
	/* A set's process that exited took its pages along: nothing of it is resident. */
	if (naming.owner && naming.exited)
		return 0;
	for (i = 0; i < pages->count; i++) {
		if (pages->items[i].record.exec_generation == naming.exec_generation)
			pages->items[kept++] = pages->items[i];
	}
	pages->count = kept;	/* the others were faulted by an image replaced by exec */
	if (!kept)
		return 0;
	if (!naming.exited) {
		residency = page_residency__open(pages->items[0].tgid);
		if (!residency && naming.owner && (errno == EACCES || errno == EPERM)) {
			totals->unreadable_processes++;
			return 0;
		}
		if (!residency && errno != ESRCH && errno != ENOENT) {
			print_error("cannot read the page map of PID %d: %s",
				    (int)pages->items[0].tgid, strerror(errno));
			return -errno;
		}
	}
	replay_released(pages, pages->items[0].tgid,
			bcc_module__map_fd(program, "released_ranges"),
			totals->counters[COUNT_RELEASED], max_released, totals);
	err = weigh_pages(pages, residency, baseline, totals);
	page_residency__close(residency);
	if (err)
		return err;
	totals->pages_recorded += pages->count;
	totals->residency_checked = totals->residency_checked || residency != NULL;
	qsort(pages->items, pages->count, sizeof(*pages->items), by_stack);
	return add_stacks(report, pages, bcc_module__map_fd(program, "user_stacks"), &naming);
}

int pgfault_report__collect_pages(struct stack_report *report, struct pgfault_totals *totals,
				  struct trace_run *run, const struct page_baselines *baselines,
				  uint32_t max_released)
{
	struct faulted_pages pages = {0}, process;
	size_t first, end;
	int more_pages_fd, err;

	/* Two hashes, preallocated and growing (pgfaultstacks.bpf.c); the second may be absent. */
	err = read_pages(&pages, bcc_module__map_fd(run->program, "pages"));
	more_pages_fd = bcc_module__map_fd(run->program, "more_pages");
	if (!err && more_pages_fd >= 0)
		err = read_pages(&pages, more_pages_fd);
	qsort(pages.items, pages.count, sizeof(*pages.items), by_process);
	totals->released_not_logged = 0;
	for (first = 0; !err && first < pages.count; first = end) {
		for (end = first; end < pages.count && pages.items[end].tgid == pages.items[first].tgid;
		     end++)
			;
		process = (struct faulted_pages){.items = pages.items + first, .count = end - first};
		err = collect_process(report, totals, &process, run,
				      page_baselines__of(baselines, pages.items[first].tgid),
				      max_released);
	}
	stack_report__sort(report);
	free(pages.items);
	return err;
}

/* What reading the fault counts needs, entry by entry. */
struct fault_reader {
	struct stack_report *report;
	struct trace_run *run;
	int stack_map_fd;
};

static int read_fault_count(const void *key_data, const void *value, void *context)
{
	static struct frame_names names;
	const struct fault_key *key = key_data;
	uint64_t faults = *(const uint64_t *)value;
	struct fault_reader *reader = context;
	struct stack_naming naming;
	int err = trace_run__naming(reader->run, key->tgid, &naming);

	if (err)
		return err;
	name_stack(reader->stack_map_fd, key->stack, naming.symbolizer, &names);
	return stack_report__add_owned(reader->report, naming.owner, names.frames, names.depth,
				       faults, faults);
}

int pgfault_report__collect_faults(struct stack_report *report, struct trace_run *run)
{
	struct fault_reader reader = {report, run,
				      bcc_module__map_fd(run->program, "user_stacks")};
	int err = map_entries__foreach(bcc_module__map_fd(run->program, "fault_counts"),
				       sizeof(struct fault_key), sizeof(uint64_t),
				       read_fault_count, &reader);

	stack_report__sort(report);
	return err;
}

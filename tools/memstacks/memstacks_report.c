#include "memstacks_report.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/growable_array.h"
#include "bpf/map_entries.h"

void memstacks_losses__read(struct memstacks_losses *losses, struct bcc_module *program)
{
	int fd = bcc_module__map_fd(program, "losses");
	int kind;

	memset(losses, 0, sizeof(*losses));
	trace_losses__init(&losses->summary);
	for (kind = 0; kind < LOSS_KINDS; kind++) {
		if (fd < 0 || bpf_lookup_elem(fd, &kind, &losses->counts[kind]))
			continue;
		/* A missed stack still counts its bytes, under [Missed User Stack]. */
		trace_losses__add(&losses->summary, losses->counts[kind],
				  kind == LOSS_STACK ? LOST_STACK_ONLY : LOST_FROM_TOTAL);
	}
}

/* One stack's figures before symbolisation. */
struct keyed_total {
	struct stack_key key;
	struct stack_total total;
};

struct keyed_totals {
	struct keyed_total *items;
	size_t count;
	size_t capacity;
};

static int keyed_totals__append(struct keyed_totals *totals, const struct stack_key *key,
				const struct stack_total *total)
{
	struct keyed_total *item;

	if (growable_array__reserve(&totals->items, &totals->capacity, totals->count,
				    sizeof(*item)))
		return -ENOMEM;
	item = &totals->items[totals->count++];
	item->key = *key;
	item->total = *total;
	return 0;
}

static void stack_total__merge(struct stack_total *into, const struct stack_total *from)
{
	into->bytes += from->bytes;
	into->allocations += from->allocations;
	into->failed_requests += from->failed_requests;
	if (from->largest_failed_bytes > into->largest_failed_bytes)
		into->largest_failed_bytes = from->largest_failed_bytes;
}

static int compare_keys(const void *a, const void *b)
{
	const struct stack_key *left = &((const struct keyed_total *)a)->key;
	const struct stack_key *right = &((const struct keyed_total *)b)->key;

	if (left->tgid != right->tgid)
		return left->tgid < right->tgid ? -1 : 1;
	if (left->stack != right->stack)
		return left->stack < right->stack ? -1 : 1;
	if (left->function != right->function)
		return left->function < right->function ? -1 : 1;
	return (left->caller > right->caller) - (left->caller < right->caller);
}

/* Sums equal keys in place: a million blocks become one entry per stack. */
static void keyed_totals__merge(struct keyed_totals *totals)
{
	size_t read, write = 0;

	qsort(totals->items, totals->count, sizeof(*totals->items), compare_keys);
	for (read = 0; read < totals->count; read++) {
		struct keyed_total *last = write ? &totals->items[write - 1] : NULL;

		if (last && !compare_keys(last, &totals->items[read]))
			stack_total__merge(&last->total, &totals->items[read].total);
		else
			totals->items[write++] = totals->items[read];
	}
	totals->count = write;
}

/* The naming of the process last asked for: blocks come grouped by process more often than not. */
struct last_naming {
	pid_t pid;		/* 0 before the first */
	struct stack_naming naming;
};

static int name_process(struct last_naming *last, struct trace_run *run, pid_t pid)
{
	int err;

	if (last->pid == pid)
		return 0;
	err = trace_run__naming(run, pid, &last->naming);
	last->pid = err ? 0 : pid;
	return err;
}

/* What reading the live blocks needs, entry by entry. */
struct live_block_reader {
	struct keyed_totals *totals;
	uint64_t born_before_ns;
	struct trace_run *run;
	struct last_naming last;
};

static int read_live_block(const void *key, const void *value, void *context)
{
	const struct block_key *address = key;
	const struct live_block *block = value;
	struct live_block_reader *reader = context;
	struct stack_total total = {.bytes = block->bytes, .allocations = 1};
	int err;

	if (block->allocated_ns >= reader->born_before_ns)
		return 0;	/* too young for --min-age: maybe still in flight */
	err = name_process(&reader->last, reader->run, address->tgid);
	if (err)
		return err;
	if (block->exec_generation != reader->last.naming.exec_generation)
		return 0;	/* the heap of an image its process replaced by exec */
	if (reader->last.naming.owner && reader->last.naming.exited)
		return 0;	/* a set's process that exited: its heap went with it */
	return keyed_totals__append(reader->totals, &block->stack, &total);
}

static int read_live_blocks(struct keyed_totals *totals, int fd, uint64_t born_before_ns,
			    struct trace_run *run)
{
	struct live_block_reader reader = {totals, born_before_ns, run, {0}};

	return map_entries__foreach(fd, sizeof(struct block_key), sizeof(struct live_block),
				    read_live_block, &reader);
}

/* What reading the stack totals needs, entry by entry. */
struct stack_total_reader {
	struct keyed_totals *totals;
	struct image_watch *watch;
	const struct allocator_sites *sites;	/* of the process last read */
	uint32_t sites_pid;
};

static int read_stack_total(const void *key_data, const void *value, void *context)
{
	const struct stack_key *key = key_data;
	struct stack_total_reader *reader = context;

	if (!reader->sites || key->tgid != reader->sites_pid) {
		reader->sites = image_watch__sites_of(reader->watch, key->tgid);
		if (!reader->sites)
			return -ENOMEM;
		reader->sites_pid = key->tgid;
	}
	/* Called from inside an allocator function: counted by that one. */
	if (allocator_sites__contains(reader->sites, key->caller))
		return 0;
	return keyed_totals__append(reader->totals, key, value);
}

static int read_stack_totals(struct keyed_totals *totals, int fd, struct image_watch *watch)
{
	struct stack_total_reader reader = {.totals = totals, .watch = watch};

	return map_entries__foreach(fd, sizeof(struct stack_key), sizeof(struct stack_total),
				    read_stack_total, &reader);
}

/*
 * Root-first frame names for one captured stack: the walk from the direct
 * caller, or that caller alone when the stack was not stored; then the
 * allocator function called as the leaf.
 */
static void name_frames(const struct stack_key *key, int stack_map_fd,
			const struct stack_naming *naming, const struct allocator_sites *sites,
			struct frame_names *names)
{
	struct symbolizer *symbolizer = naming->symbolizer;
	uint64_t addresses[MAX_STACK_DEPTH + 1];
	const char *leaf;
	size_t depth;

	depth = stack_map__read(stack_map_fd, key->stack, addresses);
	if (depth == 0)
		addresses[depth++] = key->caller;
	symbolizer__name_stack(symbolizer, addresses, depth, true, names);
	if (key->stack == MISSED_STACK)
		frame_names__mark_missed(names);
	leaf = allocator_sites__name_at(sites, key->function);
	if (naming->origins)
		frame_origins__set(naming->origins, leaf, ORIGIN_ALLOCATOR);
	frame_names__append(names, leaf);
}

int memstacks_report__collect(struct stack_report *report, struct stack_report *failed,
			      struct trace_run *run, struct image_watch *watch, bool all_mode,
			      uint64_t born_before_ns)
{
	static struct frame_names names;
	struct bcc_module *program = run->program;
	int stack_map_fd = bcc_module__map_fd(program, "user_stacks");
	const struct allocator_sites *sites;
	struct keyed_totals totals = {0};
	struct last_naming last = {0};
	size_t i;
	int err;

	image_watch__start_naming(watch);
	if (all_mode)
		err = read_stack_totals(&totals, bcc_module__map_fd(program, "stack_totals"), watch);
	else
		err = read_live_blocks(&totals, bcc_module__map_fd(program, "live_blocks"),
				       born_before_ns, run);
	if (err)
		goto out;
	keyed_totals__merge(&totals);
	for (i = 0; i < totals.count && !err; i++) {
		const struct stack_key *key = &totals.items[i].key;
		const struct stack_total *total = &totals.items[i].total;

		err = name_process(&last, run, key->tgid);
		sites = err ? NULL : image_watch__sites_of(watch, key->tgid);
		if (!sites) {
			err = -ENOMEM;
			break;
		}
		name_frames(key, stack_map_fd, &last.naming, sites, &names);
		/* Every request of this stack failed: it shows among the failures only. */
		if (total->allocations)
			err = stack_report__add_owned(report, last.naming.owner, names.frames,
						      names.depth, total->bytes,
						      total->allocations);
		if (total->failed_requests && !err)
			err = stack_report__add_largest_owned(failed, last.naming.owner,
							      names.frames, names.depth,
							      total->largest_failed_bytes,
							      total->failed_requests);
	}
	stack_report__sort(report);
	if (failed)
		stack_report__sort(failed);
out:
	free(totals.items);
	return err;
}

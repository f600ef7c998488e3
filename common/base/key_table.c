#include "base/key_table.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/growable_array.h"

/* Open addressing over the keys' numbers, FNV-1a: a profile has thousands of keys. */
struct key_table {
	char **keys;		/* by number, each '\0'-ended after its bytes */
	size_t *lengths;
	size_t count;
	size_t keys_capacity;
	size_t lengths_capacity;
	long *slots;		/* a key's number, or -1 for an empty slot */
	size_t slot_count;	/* a power of two, at least twice the count */
};

static uint64_t hash_bytes(const void *key, size_t length)
{
	const unsigned char *byte = key;
	uint64_t hash = 14695981039346656037ULL;

	while (length--)
		hash = (hash ^ *byte++) * 1099511628211ULL;
	return hash;
}

static long *slot_of(const struct key_table *table, const void *key, size_t length)
{
	size_t i = hash_bytes(key, length) & (table->slot_count - 1);
	long number;

	while ((number = table->slots[i]) >= 0 &&
	       (table->lengths[number] != length || memcmp(table->keys[number], key, length)))
		i = (i + 1) & (table->slot_count - 1);
	return &table->slots[i];
}

static int set_slots(struct key_table *table, size_t slot_count)
{
	long *slots = malloc(slot_count * sizeof(*slots));
	size_t i;

	if (!slots)
		return -ENOMEM;
	free(table->slots);
	table->slots = slots;
	table->slot_count = slot_count;
	for (i = 0; i < slot_count; i++)
		slots[i] = -1;
	for (i = 0; i < table->count; i++)
		*slot_of(table, table->keys[i], table->lengths[i]) = (long)i;
	return 0;
}

struct key_table *key_table__new(void)
{
	struct key_table *table = calloc(1, sizeof(*table));

	if (table && set_slots(table, 256)) {
		free(table);
		return NULL;
	}
	return table;
}

void key_table__free(struct key_table *table)
{
	if (!table)
		return;
	while (table->count)
		free(table->keys[--table->count]);
	free(table->keys);
	free(table->lengths);
	free(table->slots);
	free(table);
}

long key_table__number(struct key_table *table, const void *key, size_t length, int *added)
{
	long *slot;
	char *copy;

	if (added)
		*added = 0;
	if (table->count * 2 >= table->slot_count && set_slots(table, table->slot_count * 2))
		return -ENOMEM;
	slot = slot_of(table, key, length);
	if (*slot >= 0)
		return *slot;
	if (growable_array__reserve(&table->keys, &table->keys_capacity, table->count,
				    sizeof(*table->keys)) ||
	    growable_array__reserve(&table->lengths, &table->lengths_capacity, table->count,
				    sizeof(*table->lengths)))
		return -ENOMEM;
	copy = malloc(length + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, key, length);
	copy[length] = '\0';
	table->keys[table->count] = copy;
	table->lengths[table->count] = length;
	*slot = (long)table->count;
	if (added)
		*added = 1;
	return (long)table->count++;
}

long key_table__string(struct key_table *table, const char *key)
{
	return key_table__number(table, key, strlen(key), NULL);
}

long key_table__find(const struct key_table *table, const char *key)
{
	return *slot_of(table, key, strlen(key));
}

size_t key_table__count(const struct key_table *table)
{
	return table->count;
}

const char *key_table__key(const struct key_table *table, size_t number)
{
	return table->keys[number];
}

/*
 * Keys (byte strings) numbered in the order they are first added: the
 * string table of a pprof profile, and its functions, locations and
 * mappings, which are numbered by what identifies them; the frame names and
 * object files a symbolizer meets, whose facts are kept by number.
 */
#ifndef KEY_TABLE_H
#define KEY_TABLE_H

#include <stddef.h>

struct key_table;

struct key_table *key_table__new(void);

/* Accepts NULL. */
void key_table__free(struct key_table *table);

/*
 * The number of the `length` bytes at `key`: 0 for the first key added, 1 for
 * the next new one, and so on; a new key is copied in. Sets `*added` (when
 * not NULL) to whether it was new. Returns the number, or -ENOMEM.
 */
long key_table__number(struct key_table *table, const void *key, size_t length, int *added);

/* The same for a C string. */
long key_table__string(struct key_table *table, const char *key);

/* The number of C string `key`, or -1 when it was never added. */
long key_table__find(const struct key_table *table, const char *key);

size_t key_table__count(const struct key_table *table);

/* Key number `number` (below the count), as added, followed by a '\0'. */
const char *key_table__key(const struct key_table *table, size_t number);

#endif

/* Room for one more item in a heap array that doubles as it fills. */
#ifndef GROWABLE_ARRAY_H
#define GROWABLE_ARRAY_H

#include <stddef.h>

/*
 * Makes `*items` (holding `count` items of `item_size` bytes, room for
 * `*capacity`) hold at least count + 1. Returns 0, or -ENOMEM leaving the
 * array as it was.
 */
int growable_array__reserve(void *items, size_t *capacity, size_t count, size_t item_size);

#endif

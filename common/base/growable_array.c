#include "base/growable_array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define INITIAL_CAPACITY 16

int growable_array__reserve(void *items, size_t *capacity, size_t count, size_t item_size)
{
	void **array = items;
	size_t new_capacity;
	void *grown;

	if (count < *capacity)
		return 0;
	new_capacity = *capacity ? *capacity * 2 : INITIAL_CAPACITY;
	if (new_capacity > SIZE_MAX / item_size)
		return -ENOMEM;
	grown = realloc(*array, new_capacity * item_size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*capacity = new_capacity;
	return 0;
}

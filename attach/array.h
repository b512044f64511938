/* Growing a heap array of fixed-size items: the one helper every table uses. */
#ifndef PYATTACH_ARRAY_H
#define PYATTACH_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

/* Makes *items (of *capacity items of `size` bytes) hold at least `needed`, doubling
 * from 16; false (the array untouched) when out of memory. */
bool pa_array_reserve(void **items, size_t *capacity, size_t needed, size_t size);

#endif

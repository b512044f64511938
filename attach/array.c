#include "attach/array.h"

#include <stdint.h>
#include <stdlib.h>

bool pa_array_reserve(void **items, size_t *capacity, size_t needed, size_t size)
{
    if (needed <= *capacity)
        return true;
    size_t n = *capacity ? *capacity : 16;
    while (n < needed) {
        if (n > SIZE_MAX / 2 / size)
            return false;
        n *= 2;
    }
    void *bigger = realloc(*items, n * size);
    if (bigger == NULL)
        return false;
    *items = bigger;
    *capacity = n;
    return true;
}

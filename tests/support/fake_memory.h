/* A synthetic address space for tests and fuzzers: byte regions placed at chosen
 * addresses, served through the same reader interface as a live target. */
#ifndef PYATTACH_FAKE_MEMORY_H
#define PYATTACH_FAKE_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "attach/memory.h"

struct fake_region {
    uint64_t addr;
    size_t size;
    uint8_t *bytes;
};

struct fake_memory {
    struct fake_region *regions;
    size_t count, capacity;
    uint64_t reads_left; /* when non-zero, counts down; the read that reaches zero fails (torn read) */
};

void fake_memory_init(struct fake_memory *memory, struct pa_reader *reader);
void fake_memory_free(struct fake_memory *memory);

/* Adds a zeroed region [addr, addr+size) and returns its bytes for the test to fill. */
uint8_t *fake_memory_add(struct fake_memory *memory, uint64_t addr, size_t size);

/* Writes into already added regions (aborts the test program if unmapped). */
void fake_memory_put(struct fake_memory *memory, uint64_t addr, const void *value, size_t size);
void fake_memory_put_u64(struct fake_memory *memory, uint64_t addr, uint64_t value);
void fake_memory_put_i32(struct fake_memory *memory, uint64_t addr, int32_t value);

#endif

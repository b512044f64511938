/* Unit tests for attach/memory.c's vectored reads, against this process itself
 * (process_vm_readv needs no permission to read its own memory): blocks that follow
 * each other in memory travel as one remote range, and a block that cannot be read
 * still ends the transfer there, with every block before it delivered whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "attach/memory.h"

#define BLOCK 1024
#define PAGE 4096

struct fixture {
    struct pa_remote_memory mem;
    struct pa_reader reader;
    uint8_t *pages; /* 4 pages, each byte its offset's low bits plus the page number */
};

static uint8_t expected_byte(size_t offset)
{
    return (uint8_t)(offset * 7 + offset / PAGE);
}

static int setup(void **state)
{
    static struct fixture f;
    f.pages = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f.pages == MAP_FAILED)
        return -1;
    for (size_t i = 0; i < 4 * PAGE; i++)
        f.pages[i] = expected_byte(i);
    pa_remote_memory_init(&f.mem, getpid(), &f.reader);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pa_remote_memory_close(&f->mem);
    munmap(f->pages, 4 * PAGE);
    return 0;
}

static void check_block(const struct fixture *f, const uint8_t *buf, uint64_t addr)
{
    size_t offset = (size_t)(addr - (uint64_t)(uintptr_t)f->pages);
    for (size_t i = 0; i < BLOCK; i++)
        assert_int_equal(buf[i], expected_byte(offset + i));
}

/* Neighbours, strangers and a repeated block in one call: each lands in its own buffer. */
static void mixed_blocks_land_in_their_buffers(void **state)
{
    struct fixture *f = *state;
    uint64_t base = (uint64_t)(uintptr_t)f->pages;
    uint64_t addrs[] = {base, base + BLOCK, base + 2 * BLOCK, base + 3 * PAGE, base + 5 * BLOCK,
                        base + 6 * BLOCK, base + BLOCK, base + 15 * BLOCK};
    size_t count = sizeof addrs / sizeof addrs[0];
    static uint8_t storage[8][BLOCK];
    uint8_t *bufs[8];
    for (size_t i = 0; i < count; i++)
        bufs[i] = storage[i];
    size_t done = 99;
    assert_int_equal(f->reader.read_blocks(&f->reader, addrs, bufs, BLOCK, count, &done), PA_OK);
    assert_int_equal(done, count);
    for (size_t i = 0; i < count; i++)
        check_block(f, bufs[i], addrs[i]);
}

/* More blocks than one system call takes, all one range. */
static void long_runs_span_several_calls(void **state)
{
    struct fixture *f = *state;
    enum { COUNT = 600 };
    static uint64_t addrs[COUNT];
    static uint8_t storage[COUNT][BLOCK];
    static uint8_t *bufs[COUNT];
    uint64_t base = (uint64_t)(uintptr_t)f->pages;
    for (size_t i = 0; i < COUNT; i++) {
        addrs[i] = base + (i % 16) * BLOCK; /* 16 neighbours, then again from the start */
        bufs[i] = storage[i];
    }
    size_t done = 0;
    assert_int_equal(f->reader.read_blocks(&f->reader, addrs, bufs, BLOCK, COUNT, &done), PA_OK);
    assert_int_equal(done, COUNT);
    for (size_t i = 0; i < COUNT; i++)
        check_block(f, bufs[i], addrs[i]);
}

/* The third page unreadable in the middle of one range: the two pages before it are
 * delivered, nothing after it, and the call says so. */
static void unreadable_page_ends_a_range(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mprotect(f->pages + 2 * PAGE, PAGE, PROT_NONE), 0);
    uint64_t base = (uint64_t)(uintptr_t)f->pages;
    uint64_t addrs[16];
    static uint8_t storage[16][BLOCK];
    uint8_t *bufs[16];
    for (size_t i = 0; i < 16; i++) {
        addrs[i] = base + i * BLOCK;
        bufs[i] = storage[i];
    }
    size_t done = 0;
    enum pa_status status = f->reader.read_blocks(&f->reader, addrs, bufs, BLOCK, 16, &done);
    assert_int_equal(mprotect(f->pages + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE), 0);
    assert_int_equal(status, PA_E_READ);
    assert_int_equal(done, 2 * PAGE / BLOCK);
    for (size_t i = 0; i < done; i++)
        check_block(f, bufs[i], addrs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mixed_blocks_land_in_their_buffers),
        cmocka_unit_test(long_runs_span_several_calls),
        cmocka_unit_test(unreadable_page_ends_a_range),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

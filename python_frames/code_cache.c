/* Code objects by address: an open-addressing table of heap entries. Entries found
 * stale are retired, not freed, so pointers handed out stay valid until the end. */
#include "python_frames/code_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/linetable.h"
#include "python_frames/pystring.h"


struct py_code_cache {
    uint64_t epoch; /* advanced by py_code_cache_new_epoch; entries checked once per epoch */
    uint64_t generation; /* the interpreters' code object generation last noted (3.14+) */
    struct py_code_info **slots;
    size_t capacity; /* a power of two */
    size_t count;
    struct py_code_info **retired;
    size_t retired_count, retired_capacity;
    uint8_t *check_bytes; /* CHECK_BATCH code object heads, for py_code_cache_new_epoch */
};

struct py_code_cache *py_code_cache_new(void)
{
    struct py_code_cache *cache = calloc(1, sizeof *cache);
    if (cache == NULL)
        return NULL;
    cache->capacity = 256;
    cache->slots = calloc(cache->capacity, sizeof *cache->slots);
    if (cache->slots == NULL) {
        free(cache);
        return NULL;
    }
    return cache;
}

static void free_info(struct py_code_info *info)
{
    if (info == NULL)
        return;
    if (info->qualname != info->name)
        free(info->qualname);
    free(info->name);
    free(info->filename);
    free(info->linetable);
    free(info);
}

void py_code_cache_free(struct py_code_cache *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < cache->capacity; i++)
        free_info(cache->slots[i]);
    for (size_t i = 0; i < cache->retired_count; i++)
        free_info(cache->retired[i]);
    free(cache->retired);
    free(cache->check_bytes);
    free(cache->slots);
    free(cache);
}

size_t py_code_cache_size(const struct py_code_cache *cache)
{
    return cache->count;
}

static size_t slot_of(const struct py_code_cache *cache, uint64_t addr)
{
    uint64_t h = addr * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (cache->capacity - 1);
    while (cache->slots[i] && cache->slots[i]->addr != addr)
        i = (i + 1) & (cache->capacity - 1);
    return i;
}

static bool grow(struct py_code_cache *cache)
{
    struct py_code_cache bigger = *cache;
    bigger.capacity = cache->capacity * 2;
    bigger.slots = calloc(bigger.capacity, sizeof *bigger.slots);
    if (bigger.slots == NULL)
        return false;
    for (size_t i = 0; i < cache->capacity; i++)
        if (cache->slots[i])
            bigger.slots[slot_of(&bigger, cache->slots[i]->addr)] = cache->slots[i];
    free(cache->slots);
    cache->slots = bigger.slots;
    cache->capacity = bigger.capacity;
    return true;
}

static bool retire(struct py_code_cache *cache, struct py_code_info *info)
{
    if (cache->retired_count == cache->retired_capacity) {
        size_t n = cache->retired_capacity ? cache->retired_capacity * 2 : 16;
        struct py_code_info **bigger = realloc(cache->retired, n * sizeof *bigger);
        if (bigger == NULL)
            return false;
        cache->retired = bigger;
        cache->retired_capacity = n;
    }
    cache->retired[cache->retired_count++] = info;
    return true;
}

static uint64_t field_u64(const uint8_t *buf, int32_t offset)
{
    uint64_t value = 0;
    if (offset >= 0)
        memcpy(&value, buf + offset, sizeof value);
    return value;
}

static int32_t field_i32(const uint8_t *buf, int32_t offset)
{
    int32_t value = 0;
    if (offset >= 0)
        memcpy(&value, buf + offset, sizeof value);
    return value;
}

/* The number of fast locals: a field up to 3.12; 3.13+ only describes the names tuple. */
static int read_nlocals(const struct py_runtime *rt, struct pa_reader *reader, const uint8_t *buf)
{
    const struct py_layout *l = &rt->layout;
    if (l->code_object.nlocals >= 0)
        return field_i32(buf, l->code_object.nlocals);
    uint64_t names = field_u64(buf, l->code_object.localsplusnames);
    uint64_t size = 0;
    if (names == 0 || pa_read_u64(reader, names + (uint64_t)l->object.ob_size, &size, NULL) != PA_OK)
        return 0;
    return size > 65536 ? 0 : (int)size;
}

static enum pa_status read_info(const struct py_runtime *rt, struct pa_reader *reader, uint64_t addr,
                                const uint8_t *buf, struct py_code_info **out, struct pa_error *err)
{
    const struct py_layout *l = &rt->layout;
    struct py_code_info *info = calloc(1, sizeof *info);
    if (info == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    info->addr = addr;
    info->filename_ptr = field_u64(buf, l->code_object.filename);
    info->name_ptr = field_u64(buf, l->code_object.name);
    info->linetable_ptr = field_u64(buf, l->code_object.linetable);
    info->first_line = field_i32(buf, l->code_object.firstlineno);
    info->nlocals = read_nlocals(rt, reader, buf);

    enum pa_status status = py_read_string(reader, l, info->filename_ptr, &info->filename, err);
    if (status == PA_OK)
        status = py_read_string(reader, l, info->name_ptr, &info->name, err);
    if (status == PA_OK && l->code_object.qualname >= 0)
        status = py_read_string(reader, l, field_u64(buf, l->code_object.qualname), &info->qualname, err);
    if (status == PA_OK && info->linetable_ptr)
        status = py_read_bytes(reader, l, info->linetable_ptr, &info->linetable, &info->linetable_len, err);
    if (status != PA_OK) {
        free_info(info);
        return status;
    }
    if (info->qualname == NULL)
        info->qualname = info->name;
    for (size_t i = 0; i < sizeof info->line_memo / sizeof info->line_memo[0]; i++)
        info->line_memo[i].offset = INT32_MIN;
    *out = info;
    return PA_OK;
}

/* Whether the code object bytes in buf are still the one the entry was read from. */
static bool still_describes(const struct py_code_info *known, const struct py_runtime *rt, const uint8_t *buf)
{
    const struct py_layout *l = &rt->layout;
    return (rt->code_type_addr == 0 || field_u64(buf, l->object.ob_type) == rt->code_type_addr) &&
           known->filename_ptr == field_u64(buf, l->code_object.filename) &&
           known->name_ptr == field_u64(buf, l->code_object.name) &&
           known->linetable_ptr == field_u64(buf, l->code_object.linetable) &&
           known->first_line == field_i32(buf, l->code_object.firstlineno);
}

enum pa_status py_code_lookup(struct py_code_cache *cache, const struct py_runtime *rt,
                              struct pa_reader *reader, uint64_t addr,
                              const struct py_code_info **out, struct pa_error *err)
{
    const struct py_layout *l = &rt->layout;
    size_t slot = slot_of(cache, addr);
    struct py_code_info *known = cache->slots[slot];
    if (known && known->checked_epoch == cache->epoch) {
        *out = known;
        return PA_OK;
    }
    uint8_t buf[PY_CODE_READ_MAX];
    size_t size = py_layout_code_read_size(l);
    enum pa_status status = pa_read(reader, addr, buf, size, err);
    if (status != PA_OK)
        return status;
    if (rt->code_type_addr && field_u64(buf, l->object.ob_type) != rt->code_type_addr)
        return pa_fail(err, PA_E_CORRUPT, "object at 0x%llx is not a code object", (unsigned long long)addr);

    if (known && still_describes(known, rt, buf)) {
        known->checked_epoch = cache->epoch;
        *out = known;
        return PA_OK;
    }
    struct py_code_info *info = NULL;
    status = read_info(rt, reader, addr, buf, &info, err);
    if (status != PA_OK)
        return status;
    if (known) {
        if (!retire(cache, known)) {
            free_info(info);
            return pa_fail(err, PA_E_NOMEM, "out of memory");
        }
        cache->slots[slot] = info;
    } else {
        if (2 * (cache->count + 1) > cache->capacity) {
            if (!grow(cache)) {
                free_info(info);
                return pa_fail(err, PA_E_NOMEM, "out of memory");
            }
            slot = slot_of(cache, addr);
        }
        cache->slots[slot] = info;
        cache->count++;
    }
    info->checked_epoch = cache->epoch;
    *out = info;
    return PA_OK;
}

/* The bytes of a code object that still_describes() looks at. */
static size_t check_size(const struct py_layout *l)
{
    int32_t ends[] = {l->object.ob_type + 8, l->code_object.filename + 8, l->code_object.name + 8,
                      l->code_object.linetable + 8, l->code_object.firstlineno + 4};
    int32_t size = 0;
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        if (ends[i] > size)
            size = ends[i];
    return (size_t)size;
}

#define CHECK_BATCH 256

/* Compares the entries in `batch` with memory in one vectored read; those that still
 * match are checked for the current epoch. A block that cannot be read ends a
 * transfer: it is left for its lookup, and the rest go on in another. */
static void check_batch(struct py_code_cache *cache, const struct py_runtime *rt, struct pa_reader *reader,
                        struct py_code_info **batch, size_t count, size_t size)
{
    uint64_t addrs[CHECK_BATCH];
    uint8_t *bufs[CHECK_BATCH];
    for (size_t i = 0; i < count; i++) {
        addrs[i] = batch[i]->addr;
        bufs[i] = cache->check_bytes + i * size;
    }
    size_t start = 0;
    while (start < count) {
        size_t done = 0;
        enum pa_status status = reader->read_blocks(reader, addrs + start, bufs + start, size, count - start, &done);
        reader->reads++;
        for (size_t i = start; i < start + done; i++)
            if (still_describes(batch[i], rt, bufs[i]))
                batch[i]->checked_epoch = cache->epoch;
        if (status == PA_E_NO_PROCESS)
            return;
        start += done + 1; /* past the block that failed, if one did */
    }
}

void py_code_cache_new_epoch(struct py_code_cache *cache, const struct py_runtime *rt, struct pa_reader *reader)
{
    uint64_t ending = cache->epoch++;
    if (reader == NULL || reader->read_blocks == NULL || ending == 0)
        return;
    size_t size = check_size(&rt->layout);
    if (cache->check_bytes == NULL) {
        cache->check_bytes = malloc(CHECK_BATCH * size);
        if (cache->check_bytes == NULL)
            return; /* every entry is checked at its lookup instead */
    }
    struct py_code_info *batch[CHECK_BATCH];
    size_t count = 0;
    for (size_t i = 0; i < cache->capacity; i++) {
        struct py_code_info *info = cache->slots[i];
        if (info == NULL || info->checked_epoch != ending)
            continue;
        batch[count++] = info;
        if (count == CHECK_BATCH) {
            check_batch(cache, rt, reader, batch, count, size);
            count = 0;
        }
    }
    if (count > 0)
        check_batch(cache, rt, reader, batch, count, size);
}

void py_code_cache_note_generation(struct py_code_cache *cache, const struct py_runtime *rt,
                                   struct pa_reader *reader, uint64_t generation)
{
    if (generation == cache->generation)
        return;
    cache->generation = generation;
    py_code_cache_new_epoch(cache, rt, reader);
}

int py_code_line(const struct py_code_info *code, const struct py_runtime *rt, int instr_offset)
{
    if (instr_offset < 0) /* not started yet (f_lasti -1, prev_instr before the first unit) */
        return code->first_line;
    /* The memo is the cache's own bookkeeping, not part of what the entry describes. */
    struct py_code_info *memo_owner = (struct py_code_info *)code;
    size_t slot = ((size_t)instr_offset / 2) % (sizeof code->line_memo / sizeof code->line_memo[0]);
    if (code->line_memo[slot].offset == instr_offset)
        return code->line_memo[slot].line;
    int line = py_line_for_offset(rt->layout.linetable_model, code->linetable, code->linetable_len,
                                  code->first_line, instr_offset);
    if (line <= 0)
        line = code->first_line;
    memo_owner->line_memo[slot].offset = instr_offset;
    memo_owner->line_memo[slot].line = line;
    return line;
}

/* Code objects read once and kept by address: names, first line and line table,
 * so a sample costs one small read per frame. */
#ifndef PYATTACH_CODE_CACHE_H
#define PYATTACH_CODE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "attach/memory.h"
#include "python_frames/runtime.h"

struct py_code_info {
    uint64_t addr;
    char *filename;
    char *name;         /* co_name */
    char *qualname;     /* co_qualname (3.11+), else the same string as name */
    int first_line;
    int nlocals;        /* fast locals, for telling calls apart (see stack_walk.c) */
    uint8_t *linetable;
    size_t linetable_len;
    /* What the entry was read from, compared on every lookup: a freed code object
     * whose address is reused by another must not keep the old names. */
    uint64_t filename_ptr, name_ptr, linetable_ptr;
    uint64_t checked_epoch; /* the epoch in which the entry was last compared with memory */
    /* The last lines found, by instruction offset: a sampled frame sits at a few
     * offsets over and over, and decoding a table from its start costs more than
     * all the remote reads of a sample. */
    struct {
        int32_t offset, line;
    } line_memo[4];
};

struct py_code_cache;

struct py_code_cache *py_code_cache_new(void);
void py_code_cache_free(struct py_code_cache *cache);

/* The info of the code object at addr, reading it if unknown or changed. A known
 * entry is compared with the target's memory once per epoch, not on every lookup:
 * code objects are rarely freed, and within an epoch (see python_process.c) a freed
 * one replaced at the same address keeps its old names. The pointer stays valid
 * until the cache is freed. */
enum pa_status py_code_lookup(struct py_code_cache *cache, const struct py_runtime *rt,
                              struct pa_reader *reader, uint64_t addr,
                              const struct py_code_info **out, struct pa_error *err);

/* Starts a new epoch: every entry is checked again before it is used. Given a reader
 * with a vectored form, the entries used in the epoch that ends are checked at once,
 * many to a read, instead of one read each at their next lookup: the stacks of a big
 * program touch hundreds of code objects an epoch, and one read each was most of
 * what sampling it cost. Entries that changed or cannot be read now are left for
 * their lookup. */
void py_code_cache_new_epoch(struct py_code_cache *cache, const struct py_runtime *rt, struct pa_reader *reader);

/* 3.14+: the interpreters tell when a code object was freed (a generation counter,
 * given here summed up over them): a change starts a new epoch at once, so an entry
 * whose code object was freed and its address reused is not trusted for the rest of
 * the epoch. */
void py_code_cache_note_generation(struct py_code_cache *cache, const struct py_runtime *rt,
                                   struct pa_reader *reader, uint64_t generation);

/* The current line of a frame of this code at byte offset instr_offset. */
int py_code_line(const struct py_code_info *code, const struct py_runtime *rt, int instr_offset);

/* Number of entries, for the benchmark and memory bounds. */
size_t py_code_cache_size(const struct py_code_cache *cache);

#endif

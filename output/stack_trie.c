/* The stack trie: frames interned by (function, file, line), nodes by (parent, frame). */
#include "output/stack_trie.h"

#include <stdlib.h>
#include <string.h>

struct frame_key {
    const struct pa_stack_trie *trie;
    struct pa_tframe frame;
};

struct node_key {
    const struct pa_stack_trie *trie;
    uint32_t parent, frame;
};

static bool frame_equal(const void *key, uint32_t entry)
{
    const struct frame_key *k = key;
    const struct pa_tframe *f = &k->trie->frames[entry];
    return f->function == k->frame.function && f->file == k->frame.file && f->line == k->frame.line;
}

static bool node_equal(const void *key, uint32_t entry)
{
    const struct node_key *k = key;
    const struct pa_tnode *n = &k->trie->nodes[entry];
    return n->parent == k->parent && n->frame == k->frame;
}

void pa_stack_trie_init(struct pa_stack_trie *trie)
{
    memset(trie, 0, sizeof *trie);
    pa_strtab_init(&trie->strings);
    pa_index_init(&trie->frame_index);
    pa_index_init(&trie->node_index);
}

void pa_stack_trie_free(struct pa_stack_trie *trie)
{
    pa_strtab_free(&trie->strings);
    free(trie->frames);
    free(trie->nodes);
    pa_index_free(&trie->frame_index);
    pa_index_free(&trie->node_index);
    pa_stack_trie_init(trie);
}

static uint32_t frame_id(struct pa_stack_trie *trie, const struct pa_frame *frame)
{
    const char *function = frame->function ? frame->function : "";
    const char *file = frame->filename ? frame->filename : "~";
    struct frame_key key = {trie, {
        .function = pa_strtab_intern(&trie->strings, function, strlen(function)),
        .file = pa_strtab_intern(&trie->strings, file, strlen(file)),
        .line = frame->line > 0 ? frame->line : frame->first_line,
    }};
    if (key.frame.function == PA_INDEX_NONE || key.frame.file == PA_INDEX_NONE)
        return PA_INDEX_NONE;
    uint32_t hash = pa_hash_mix(pa_hash_mix(pa_hash_mix(3, key.frame.function), key.frame.file),
                                (uint32_t)key.frame.line);
    uint32_t id = pa_index_find(&trie->frame_index, hash, frame_equal, &key);
    if (id != PA_INDEX_NONE)
        return id;
    if (!pa_index_reserve((void **)&trie->frames, trie->nframes, &trie->frames_capacity, sizeof *trie->frames))
        return PA_INDEX_NONE;
    id = trie->nframes;
    if (!pa_index_insert(&trie->frame_index, hash, id))
        return PA_INDEX_NONE;
    trie->frames[id] = key.frame;
    trie->nframes++;
    return id;
}

static uint32_t node_id(struct pa_stack_trie *trie, uint32_t parent, uint32_t frame)
{
    struct node_key key = {trie, parent, frame};
    uint32_t hash = pa_hash_mix(pa_hash_mix(5, parent), frame);
    uint32_t id = pa_index_find(&trie->node_index, hash, node_equal, &key);
    if (id != PA_INDEX_NONE)
        return id;
    if (!pa_index_reserve((void **)&trie->nodes, trie->nnodes, &trie->nodes_capacity, sizeof *trie->nodes))
        return PA_INDEX_NONE;
    id = trie->nnodes;
    if (!pa_index_insert(&trie->node_index, hash, id))
        return PA_INDEX_NONE;
    trie->nodes[id] = (struct pa_tnode){.parent = parent, .frame = frame};
    trie->nnodes++;
    return id;
}

bool pa_stack_trie_add(struct pa_stack_trie *trie, const struct pa_stack *stack, uint32_t *leaf)
{
    uint32_t node = PA_INDEX_NONE;
    for (size_t d = 0; d < stack->depth; d++) {
        uint32_t frame = frame_id(trie, &stack->frames[stack->depth - 1 - d]);
        if (frame == PA_INDEX_NONE)
            return false;
        node = node_id(trie, node, frame);
        if (node == PA_INDEX_NONE)
            return false;
    }
    if (node != PA_INDEX_NONE)
        trie->nodes[node].count++;
    if (stack->depth > trie->max_depth)
        trie->max_depth = stack->depth;
    *leaf = node;
    return true;
}

size_t pa_stack_trie_path(const struct pa_stack_trie *trie, uint32_t node, uint32_t *out,
                          size_t capacity)
{
    size_t depth = 0;
    for (uint32_t n = node; n != PA_INDEX_NONE; n = trie->nodes[n].parent)
        depth++;
    size_t skip = depth > capacity ? depth - capacity : 0;
    size_t i = depth - skip;
    for (uint32_t n = node; n != PA_INDEX_NONE; n = trie->nodes[n].parent) {
        if (skip > 0)
            skip--;
        else
            out[--i] = trie->nodes[n].frame;
    }
    return depth > capacity ? capacity : depth;
}

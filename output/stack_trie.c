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
    return f->function == k->frame.function && f->file == k->frame.file && f->line == k->frame.line &&
           f->pid == k->frame.pid && f->native_id == k->frame.native_id;
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
    for (size_t i = 0; i < PA_TRIE_RECENT; i++)
        free(trie->recent[i].path);
    pa_strtab_free(&trie->strings);
    free(trie->frames);
    free(trie->nodes);
    pa_index_free(&trie->frame_index);
    pa_index_free(&trie->node_index);
    pa_stack_trie_init(trie);
}

static uint32_t intern_frame(struct pa_stack_trie *trie, const char *function, const char *file, int line, int pid,
                             uint32_t native_id)
{
    struct frame_key key = {trie, {
        .function = pa_strtab_intern(&trie->strings, function, strlen(function)),
        .file = pa_strtab_intern(&trie->strings, file, strlen(file)),
        .line = line,
        .pid = native_id ? pid : 0,
        .native_id = native_id,
    }};
    if (key.frame.function == PA_INDEX_NONE || key.frame.file == PA_INDEX_NONE)
        return PA_INDEX_NONE;
    uint32_t hash = pa_hash_mix(pa_hash_mix(pa_hash_mix(pa_hash_mix(3, key.frame.function), key.frame.file),
                                            (uint32_t)key.frame.line),
                                native_id);
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
    trie->unresolved |= native_id != 0;
    return id;
}

static uint32_t frame_id(struct pa_stack_trie *trie, const struct pa_frame *frame, int pid)
{
    return intern_frame(trie, frame->function ? frame->function : "", frame->filename ? frame->filename : "~",
                        frame->line > 0 ? frame->line : frame->first_line, pid, frame->native_id);
}

/* Whether frame_id would give `frame` the trie frame `id`: compared by content, since
 * the sampler's strings may be freed and their memory reused between samples. */
static bool same_frame(const struct pa_stack_trie *trie, uint32_t id, const struct pa_frame *frame, int pid)
{
    const struct pa_tframe *f = &trie->frames[id];
    return f->line == (frame->line > 0 ? frame->line : frame->first_line) && f->native_id == frame->native_id &&
           f->pid == (frame->native_id ? pid : 0) &&
           strcmp(pa_strtab_text(&trie->strings, f->function), frame->function ? frame->function : "") == 0 &&
           strcmp(pa_strtab_text(&trie->strings, f->file), frame->filename ? frame->filename : "~") == 0;
}

static struct pa_trie_recent *recent_of(struct pa_stack_trie *trie, const struct pa_stack *stack)
{
    uint32_t hash = pa_hash_mix(pa_hash_mix(7, (uint32_t)stack->pid), (uint32_t)stack->tid);
    return &trie->recent[hash & (PA_TRIE_RECENT - 1)];
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
    struct pa_trie_recent *recent = recent_of(trie, stack);
    if (recent->pid != stack->pid || recent->tid != stack->tid) {
        recent->pid = stack->pid;
        recent->tid = stack->tid;
        recent->depth = 0;
    }
    if (recent->capacity < stack->depth) {
        uint32_t *path = realloc(recent->path, stack->depth * sizeof *path);
        if (path == NULL)
            return false;
        recent->path = path;
        recent->capacity = stack->depth;
    }
    uint32_t node = PA_INDEX_NONE;
    size_t d = 0;
    for (; d < stack->depth && d < recent->depth; d++) {
        const struct pa_frame *frame = &stack->frames[stack->depth - 1 - d];
        if (!same_frame(trie, trie->nodes[recent->path[d]].frame, frame, stack->pid))
            break;
        node = recent->path[d];
    }
    recent->depth = 0; /* until the new path is whole */
    for (; d < stack->depth; d++) {
        uint32_t frame = frame_id(trie, &stack->frames[stack->depth - 1 - d], stack->pid);
        if (frame == PA_INDEX_NONE)
            return false;
        node = node_id(trie, node, frame);
        if (node == PA_INDEX_NONE)
            return false;
        recent->path[d] = node;
    }
    recent->depth = stack->depth;
    if (node != PA_INDEX_NONE)
        trie->nodes[node].count++;
    if (stack->depth > trie->max_depth)
        trie->max_depth = stack->depth;
    *leaf = node;
    return true;
}

bool pa_stack_trie_resolve(struct pa_stack_trie *trie, const struct pa_native_lines *lines, uint32_t *node_map)
{
    if (!trie->unresolved) {
        for (uint32_t n = 0; node_map && n < trie->nnodes; n++)
            node_map[n] = n;
        return true;
    }
    struct pa_stack_trie fresh;
    pa_stack_trie_init(&fresh);
    uint32_t *frame_map = malloc((trie->nframes ? trie->nframes : 1) * sizeof *frame_map);
    uint32_t *own_map = node_map ? NULL : malloc((trie->nnodes ? trie->nnodes : 1) * sizeof *own_map);
    if (node_map == NULL)
        node_map = own_map;
    bool ok = frame_map != NULL && node_map != NULL;
    for (uint32_t i = 0; ok && i < trie->nframes; i++) {
        const struct pa_tframe *f = &trie->frames[i];
        const char *file = pa_strtab_text(&trie->strings, f->file);
        int line = f->line;
        if (f->native_id != 0 && !(lines && lines->lookup(lines->user, f->pid, f->native_id, &file, &line)))
            line = 0; /* the module, as the frame's key has it */
        frame_map[i] = intern_frame(&fresh, pa_strtab_text(&trie->strings, f->function), file, line, 0, 0);
        ok = frame_map[i] != PA_INDEX_NONE;
    }
    /* A node's parent was made before it: one pass in id order maps parents first. */
    for (uint32_t n = 0; ok && n < trie->nnodes; n++) {
        const struct pa_tnode *old = &trie->nodes[n];
        node_map[n] = node_id(&fresh, old->parent == PA_INDEX_NONE ? PA_INDEX_NONE : node_map[old->parent],
                              frame_map[old->frame]);
        ok = node_map[n] != PA_INDEX_NONE;
        if (ok)
            fresh.nodes[node_map[n]].count += old->count;
    }
    free(frame_map);
    free(own_map);
    if (!ok) {
        pa_stack_trie_free(&fresh);
        return false;
    }
    fresh.max_depth = trie->max_depth;
    pa_stack_trie_free(trie);
    *trie = fresh;
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

/* Distinct stacks as a trie of frames, for the formats that keep whole stacks
 * (collapsed, speedscope): a sample costs one node id, not a copy of its frames. */
#ifndef PYATTACH_STACK_TRIE_H
#define PYATTACH_STACK_TRIE_H

#include <stdint.h>

#include "output/index_table.h"
#include "output/stack.h"
#include "output/strtab.h"

/* A frame as these formats show it: function, file and the line executing
 * (co_firstlineno when the line is unknown), as py-spy does. A native frame is kept
 * apart per PC (pid, native_id) until pa_stack_trie_resolve gives it its source line. */
struct pa_tframe {
    uint32_t function, file; /* ids in trie.strings */
    int line;
    int pid;                 /* native frames not yet resolved; else 0 */
    uint32_t native_id;
};

struct pa_tnode {
    uint32_t parent;   /* PA_INDEX_NONE for an outermost frame */
    uint32_t frame;
    uint64_t count;    /* samples that ended here (this node was the leaf) */
};

/* The path (node ids, root first) of the last stack added for one thread: the next
 * stack of that thread mostly shares a long prefix with it, whose frames are then
 * compared instead of interned again (hashing every name of every sample was ~10 %
 * of a sample's CPU at 100 kHz and up, bench/README.md). */
struct pa_trie_recent {
    int pid, tid;
    uint32_t *path;
    size_t depth, capacity;
};

#define PA_TRIE_RECENT 16 /* threads remembered, by (pid, tid) hash */

struct pa_stack_trie {
    struct pa_trie_recent recent[PA_TRIE_RECENT];
    struct pa_strtab strings;
    struct pa_tframe *frames;
    uint32_t nframes, frames_capacity;
    struct pa_tnode *nodes;
    uint32_t nnodes, nodes_capacity;
    struct pa_index frame_index, node_index;
    size_t max_depth;  /* the deepest stack added */
    bool unresolved;   /* some frame has a native_id */
};

void pa_stack_trie_init(struct pa_stack_trie *trie);
void pa_stack_trie_free(struct pa_stack_trie *trie);

/* Adds the stack and counts one sample at its leaf node, returned in *leaf.
 * A stack of depth 0 is not added (*leaf = PA_INDEX_NONE). False when out of memory. */
bool pa_stack_trie_add(struct pa_stack_trie *trie, const struct pa_stack *stack, uint32_t *leaf);

/* Native frames become (function, source file, line) where lines (may be NULL) knows
 * their line, else (function, module, 0); frames and stacks that become equal merge.
 * Call before writing. Node ids change: node_map (NULL, or room for nnodes) gets each
 * old node's new id. False when out of memory (the trie is kept). */
bool pa_stack_trie_resolve(struct pa_stack_trie *trie, const struct pa_native_lines *lines, uint32_t *node_map);

/* The frames of node's stack, root first, into out, which holds `capacity` (give it
 * max_depth) frames; a deeper stack is cut at the leaf side. Returns the count. */
size_t pa_stack_trie_path(const struct pa_stack_trie *trie, uint32_t node, uint32_t *out,
                          size_t capacity);

#endif

/* Request roots, at most PA_REQUEST_LABELS_MAX distinct per recording. */
#include "sampler/request_roots.h"

#include <stdlib.h>
#include <string.h>

#include "attach/array.h"
#include "output/index_table.h"

static const char *intern(struct pa_request_roots *r, const char *label)
{
    uint32_t hash = pa_hash_bytes(label, strlen(label));
    for (size_t i = 0; i < r->count; i++)
        if (r->hashes[i] == hash && strcmp(r->labels[i], label) == 0)
            return r->labels[i];
    if (r->count < PA_REQUEST_LABELS_MAX) {
        char *copy = strdup(label);
        if (copy == NULL)
            return PA_OTHER_REQUESTS;
        r->labels[r->count] = copy;
        r->hashes[r->count++] = hash;
        return copy;
    }
    /* Distinct folded labels are told apart by hash: a rare collision undercounts by one. */
    for (size_t i = 0; i < r->folded_count; i++)
        if (r->folded[i] == hash)
            return PA_OTHER_REQUESTS;
    if (pa_array_reserve((void **)&r->folded, &r->folded_capacity, r->folded_count + 1, sizeof *r->folded))
        r->folded[r->folded_count++] = hash;
    return PA_OTHER_REQUESTS;
}

const char *pa_request_root(struct pa_request_roots *roots, struct py_request_reader *reader,
                            const struct py_walker *walker, const struct py_stack *stack, pid_t tid,
                            uint64_t *call_id)
{
    char label[PY_REQUEST_LABEL_MAX];
    *call_id = 0;
    if (reader == NULL || !py_request_label(reader, walker, stack, tid, label, sizeof label, call_id)) {
        *call_id = 0;
        return PA_NO_REQUEST;
    }
    return intern(roots, label);
}

void pa_request_roots_free(struct pa_request_roots *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->labels[i]);
    free(r->folded);
    memset(r, 0, sizeof *r);
}

/* --by-request: the outermost root of each sample, naming the request its thread
 * serves (python_frames/request_label.h), or <no request>. A recording keeps at most
 * PA_REQUEST_LABELS_MAX distinct labels; later ones share <other requests>, counted
 * for the summary. Labels live as long as the sampler, so stacks may point at them. */
#ifndef PYATTACH_REQUEST_ROOTS_H
#define PYATTACH_REQUEST_ROOTS_H

#include <stddef.h>
#include <stdint.h>

#include "python_frames/request_label.h"

#define PA_REQUEST_LABELS_MAX 200
#define PA_NO_REQUEST "<no request>"
#define PA_OTHER_REQUESTS "<other requests>"

struct pa_request_roots {
    char *labels[PA_REQUEST_LABELS_MAX]; /* distinct labels so far */
    uint32_t hashes[PA_REQUEST_LABELS_MAX];
    size_t count;
    uint32_t *folded;         /* hashes of the distinct labels put under <other requests> */
    size_t folded_count, folded_capacity;
};

/* The root for a sample of thread tid whose Python stack is `stack` (reader: its target's), and in
 * *call_id the call id it gets: the handler call's for a request (so that ncalls of a
 * request root counts requests), 0 for <no request>. */
const char *pa_request_root(struct pa_request_roots *roots, struct py_request_reader *reader,
                            const struct py_walker *walker, const struct py_stack *stack, pid_t tid,
                            uint64_t *call_id);

void pa_request_roots_free(struct pa_request_roots *roots);

#endif

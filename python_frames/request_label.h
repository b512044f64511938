/* --by-request: the HTTP request a sampled stack is serving, as a short label read
 * from the target's memory. All knowledge of Django and WSGI is in request_label.c. */
#ifndef PYATTACH_REQUEST_LABEL_H
#define PYATTACH_REQUEST_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "python_frames/stack_walk.h"

#define PY_REQUEST_LABEL_MAX 320 /* room for any label, NUL included */

/* What one target's labels are read with: which code objects are handler frames (and
 * where their `request`/`environ` locals sit), and the labels of recent handler calls. */
struct py_request_reader;

struct py_request_reader *py_request_reader_new(void);
void py_request_reader_free(struct py_request_reader *reader);

/* Adds to *served how often py_request_label answered a label, and to *read how often
 * it read one from the target (a first sample of a call, a label not yet whole or
 * resolved): the summary's proof that labels are read per call, not per sample. */
void py_request_reader_counts(const struct py_request_reader *reader, uint64_t *served, uint64_t *read);

/* The request the stack of thread tid (as walked, innermost first) serves: true with
 * its label in label (`<GET orders/<int:pk>/ (shop.views.order_detail)>`,
 * `<GET /orders/<int>/>`) and, in *call_id, the call id of the outermost handler frame
 * (one request = one call of that frame). False when no frame serves a request.
 * The label is read at the first sample of the call and kept while the thread's
 * samples show the same call (the rule ncalls follows: call ids may recur later);
 * other samples cost a lookup per frame. */
bool py_request_label(struct py_request_reader *reader, const struct py_walker *walker, const struct py_stack *stack,
                      pid_t tid, char *label, size_t size, uint64_t *call_id);

/* A URL path with its ids folded, so that labels stay few: a segment that is a UUID
 * becomes <uuid>, a segment of 8 or more hex digits holding both digits and letters
 * <hex>, and every run of decimal digits that no letter touches <int>
 * (`/orders/17/` -> `/orders/<int>/`, `/img-3.png` -> `/img-<int>.png`, `/api/v2/` kept). */
void py_request_fold_path(const char *path, char *out, size_t size);

#endif

/* A marshal decoder for data files (not code objects): enough to read any pstats
 * dump that cProfile or profile wrote, from Python 2.7 (version 2) to 3.13 (version 4). */
#ifndef PYATTACH_MARSHAL_READ_H
#define PYATTACH_MARSHAL_READ_H

#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"

enum pa_mtype {
    PA_M_NONE,      /* None, Ellipsis, StopIteration: values a pstats file never needs */
    PA_M_BOOL,
    PA_M_INT,
    PA_M_FLOAT,
    PA_M_STR,       /* str (UTF-8, "surrogatepass") or Python 2 str/bytes: the raw bytes */
    PA_M_TUPLE,     /* also list, set, frozenset */
    PA_M_DICT,      /* items[2i] = key, items[2i + 1] = value */
};

struct pa_mobj {
    enum pa_mtype type;
    uint32_t n;                 /* tuple items, or dict pairs */
    union {
        int64_t i;
        double f;
        struct {
            const char *s;      /* points into the decoded buffer; not NUL-terminated */
            uint32_t len;
        } str;
        struct pa_mobj **items;
    } u;
};

struct pa_marshal_arena;

/* The decoded object graph; objects live until pa_marshal_doc_free(). */
struct pa_marshal_doc {
    struct pa_mobj *root;
    struct pa_marshal_arena *arena;
};

/* Decodes one object from data (which must outlive the doc). Fails with PA_E_CORRUPT
 * and a message naming the offset on truncated or unsupported data. */
enum pa_status pa_marshal_read(const unsigned char *data, size_t len, struct pa_marshal_doc *doc,
                               struct pa_error *err);
void pa_marshal_doc_free(struct pa_marshal_doc *doc);

#endif

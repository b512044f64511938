/* The request a thread serves, for --by-request. Everything this program knows of
 * Django and WSGI is here.
 *
 * Django (checked against 3.2.25, Debian bookworm's python3-django, and 5.2.17,
 * Debian forky's): a request runs inside WSGIHandler.__call__(self, environ,
 * start_response) in django/core/handlers/wsgi.py, which makes `request`, then
 * BaseHandler.get_response(self, request) and BaseHandler._get_response(self, request)
 * in django/core/handlers/base.py. Those are the handler frames; the outermost one whose
 * `request` local is bound names the request, and its call is the request's call.
 *   request.method                 str, set by WSGIRequest.__init__ (upper case)
 *   request.resolver_match         None until BaseHandler.resolve_request (called by
 *                                  _get_response) has resolved the URL, then a ResolverMatch
 *   resolver_match.route           str, the whole route pattern ("orders/<int:pk>/"; 2.2+)
 *   resolver_match._func_path      str, the view's dotted path ("shop.views.order_detail")
 * All are instance attributes (the instance dict, or 3.11+'s inline values).
 * Before the URL is resolved (request middleware, resolve_request itself) the label is
 * the WSGI one; it is read again whenever the call that _get_response is waiting on
 * changes (resolve_request, then the view): a few reads per request at most.
 *
 * WSGI (PEP 3333), for other frameworks and as the fallback: the outermost frame with a
 * local `environ` that is a dict holding REQUEST_METHOD; its PATH_INFO, folded.
 * gunicorn's workers (handle_request) start with `environ = {}` before parsing: such a
 * frame is passed over until its dict holds the request.
 *
 * Nothing read is trusted: a value of the wrong type shows as `?`, and only fixed
 * paths of attributes are followed, so cycles cannot loop. */
#include "python_frames/request_label.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/frame_locals.h"
#include "python_frames/instance_attr.h"
#include "python_frames/object_repr.h"
#include "python_frames/pystring.h"
#include "python_frames/remote_dict.h"

#define CODE_SLOTS 4096  /* code objects classified, direct-mapped by address */
#define LABEL_SLOTS 256  /* threads whose handler call's label is kept, direct-mapped by TID */
#define TEXT_CHARS 120   /* characters kept of a method, route, view or path */
#define READS 4          /* reads of a label at most, looking for two in a row that agree */

enum code_role {
    ROLE_NONE,
    ROLE_DJANGO,         /* WSGIHandler.__call__, BaseHandler.get_response */
    ROLE_DJANGO_RESOLVE, /* BaseHandler._get_response: resolves the URL */
};

struct code_slot {
    uint64_t addr, name_ptr; /* the code object, and what it was classified from */
    bool known;
    enum code_role role;
    int request_index; /* its `request` local, -1: none */
    int environ_index; /* its `environ` local, -1: none */
};

struct label_slot {
    pid_t tid;            /* the thread whose last read this is; 0: empty */
    uint64_t call_id;     /* of its handler frame */
    uint64_t resolve_call; /* the call _get_response waited on when the label was read, 0: none */
    bool resolved;        /* Django had resolved the URL: final */
    char label[PY_REQUEST_LABEL_MAX];
};

struct py_request_reader {
    struct code_slot codes[CODE_SLOTS];
    struct label_slot labels[LABEL_SLOTS];
    uint64_t served, read; /* labels answered; of them, read from the target (up to READS passes each) */
};

struct py_request_reader *py_request_reader_new(void)
{
    return calloc(1, sizeof(struct py_request_reader));
}

void py_request_reader_free(struct py_request_reader *reader)
{
    free(reader);
}

void py_request_reader_counts(const struct py_request_reader *reader, uint64_t *served, uint64_t *read)
{
    *served += reader->served;
    *read += reader->read;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

static enum code_role django_role(const struct py_code_info *code)
{
    if (ends_with(code->filename, "django/core/handlers/wsgi.py") && strcmp(code->name, "__call__") == 0)
        return ROLE_DJANGO;
    if (ends_with(code->filename, "django/core/handlers/base.py")) {
        if (strcmp(code->name, "get_response") == 0)
            return ROLE_DJANGO;
        if (strcmp(code->name, "_get_response") == 0)
            return ROLE_DJANGO_RESOLVE;
    }
    return ROLE_NONE;
}

/* What the code object is to us, read once per code object. */
static const struct code_slot *classify(struct py_request_reader *rr, const struct py_walker *w,
                                        const struct py_code_info *code)
{
    struct code_slot *slot = &rr->codes[(code->addr >> 4) % CODE_SLOTS];
    if (slot->known && slot->addr == code->addr && slot->name_ptr == code->name_ptr)
        return slot;
    *slot = (struct code_slot){.addr = code->addr, .name_ptr = code->name_ptr, .known = true,
                               .role = django_role(code), .request_index = -1, .environ_index = -1};
    if (slot->role != ROLE_NONE && py_code_local_index(w, code->addr, "request", &slot->request_index, NULL) != PA_OK)
        slot->request_index = -1;
    if (py_code_local_index(w, code->addr, "environ", &slot->environ_index, NULL) != PA_OK)
        slot->environ_index = -1;
    if (slot->request_index < 0)
        slot->role = ROLE_NONE;
    return slot;
}

/* The str at addr as printable UTF-8, at most TEXT_CHARS characters; false when it is
 * no str (out is then "?"). */
static bool read_text(const struct py_walker *w, uint64_t addr, char *out, size_t size)
{
    const struct py_layout *l = &w->runtime->layout;
    uint32_t chars[TEXT_CHARS];
    size_t count = 0;
    uint64_t total = 0;
    snprintf(out, size, "?");
    if (!py_object_is(w->reader, l, addr, "str") ||
        py_read_string_head(w->reader, l, addr, chars, TEXT_CHARS, &count, &total, NULL) != PA_OK)
        return false;
    out[0] = '\0';
    for (size_t i = 0; i < count; i++)
        if (chars[i] < 0x20 || chars[i] == 0x7f || chars[i] == ';')
            chars[i] = '?'; /* never a control character in a label; ';' separates collapsed frames */
    py_ucs_to_utf8(chars, count, 4, out, size);
    return true;
}

/* What a field must look like, else it was misread (or is hostile): an HTTP method
 * is upper-case letters, a view's path a dotted Python name with at least one dot
 * (Django's _func_path is the module, a dot and the view's qualified name): a string
 * of the environ read in its place, HTTP_ACCEPT_ENCODING, was once taken for a view
 * (gunicorn gthread, CPython 3.11, under ASan). */
static bool looks_like(const char *text, bool dotted_name)
{
    if (text[0] == '\0')
        return false;
    bool dot = false;
    for (const char *c = text; *c; c++) {
        bool upper = *c >= 'A' && *c <= 'Z', lower = *c >= 'a' && *c <= 'z', digit = *c >= '0' && *c <= '9';
        if (dotted_name && *c == '.') {
            if (c == text || c[1] == '\0' || c[1] == '.')
                return false;
            dot = true;
        } else if (dotted_name ? !(upper || lower || digit || *c == '_') : !upper) {
            return false;
        }
    }
    return !dotted_name || dot;
}

static bool attr(const struct py_walker *w, uint64_t obj, const char *name, uint64_t *value)
{
    *value = 0;
    return obj != 0 && py_object_get_attr(w->reader, &w->runtime->layout, obj, name, value, NULL) == PA_OK &&
           *value != 0;
}

static uint64_t local_value(const struct py_walker *w, const struct py_frame *f, int index)
{
    uint64_t value = 0;
    if (index < 0 || py_frame_local_slot(w, f->frame_addr, index, &value, NULL) != PA_OK)
        return 0;
    return value;
}

/* Whether the frame's local still holds the object read through it. The thread runs
 * on while we read: once its frame has returned, the frame's memory (3.11+: the
 * thread's data stack) serves other calls, and what was read through a local that
 * now holds something else belongs to no request. The frame must still run the
 * same code, and the local hold the same object, after the reads. */
static bool still_holds(const struct py_walker *w, const struct py_frame *f, int index, uint64_t object)
{
    const struct py_layout *l = &w->runtime->layout;
    uint64_t code = 0;
    if (l->interpreter_frame.executable < 0 ||
        pa_read_u64(w->reader, f->frame_addr + (uint64_t)l->interpreter_frame.executable, &code, NULL) != PA_OK)
        return false;
    if (l->ref_model == PY_REFS_TAGGED) /* 3.14+: f_executable is a tagged _PyStackRef */
        code &= ~PY_STACKREF_TAG_BITS;
    return code == f->code->addr && local_value(w, f, index) == object;
}

/* `<METHOD /path>` from the outermost frame whose `environ` is a request's dict.
 * *whole: both were read as what PEP 3333 says they are (a method, a str path). */
static bool environ_label(struct py_request_reader *rr, const struct py_walker *w, const struct py_stack *stack,
                          char *label, size_t size, bool *whole)
{
    *whole = false;
    const struct py_layout *l = &w->runtime->layout;
    for (size_t i = stack->depth; i-- > 0;) {
        const struct py_frame *f = &stack->frames[i];
        const struct code_slot *code = classify(rr, w, f->code);
        uint64_t environ = local_value(w, f, code->environ_index), method = 0, path = 0;
        if (!py_object_is(w->reader, l, environ, "dict") ||
            py_dict_get_str(w->reader, l, environ, "REQUEST_METHOD", &method, NULL) != PA_OK || method == 0)
            continue;
        char method_text[TEXT_CHARS * 4 + 1], path_text[TEXT_CHARS * 4 + 1], folded[PY_REQUEST_LABEL_MAX];
        bool has_method = read_text(w, method, method_text, sizeof method_text) && looks_like(method_text, false);
        if (!has_method)
            snprintf(method_text, sizeof method_text, "?");
        /* A dict without PATH_INFO is still being filled (gunicorn's wsgi.create adds it
         * after REQUEST_METHOD): not yet a request. A str PATH_INFO is "" or starts
         * with "/" (PEP 3333); any other str was misread from a dict changing under
         * the read. A PATH_INFO of another type is shown as "?". */
        if (py_dict_get_str(w->reader, l, environ, "PATH_INFO", &path, NULL) != PA_OK || path == 0)
            continue;
        bool is_str = read_text(w, path, path_text, sizeof path_text);
        if (is_str && path_text[0] != '/' && path_text[0] != '\0')
            continue;
        py_request_fold_path(path_text, folded, sizeof folded);
        snprintf(label, size, "<%.40s %.250s>", method_text, folded);
        *whole = has_method && is_str;
        return still_holds(w, f, code->environ_index, environ);
    }
    return false;
}

enum django_read {
    DJANGO_UNRESOLVED, /* no ResolverMatch yet: no label */
    DJANGO_LABEL,      /* method, route and view read */
    DJANGO_PARTIAL,    /* a ResolverMatch, but its route or view unreadable: `<GET ?>` */
};

/* `<GET route (view)>` from Django's request. */
static enum django_read django_label(const struct py_walker *w, uint64_t request, char *label, size_t size)
{
    const struct py_layout *l = &w->runtime->layout;
    uint64_t method = 0, match = 0, route = 0, view = 0;
    if (!attr(w, request, "resolver_match", &match) || py_object_is(w->reader, l, match, "NoneType"))
        return DJANGO_UNRESOLVED;
    char method_text[TEXT_CHARS * 4 + 1], route_text[TEXT_CHARS * 4 + 1], view_text[TEXT_CHARS * 4 + 1];
    attr(w, request, "method", &method);
    if (!read_text(w, method, method_text, sizeof method_text) || !looks_like(method_text, false))
        snprintf(method_text, sizeof method_text, "?");
    bool has_route = attr(w, match, "route", &route) && read_text(w, route, route_text, sizeof route_text);
    bool has_view = attr(w, match, "_func_path", &view) && read_text(w, view, view_text, sizeof view_text) &&
                    looks_like(view_text, true);
    if (!has_route)
        snprintf(label, size, "<%.40s ?>", method_text);
    else if (!has_view)
        snprintf(label, size, "<%.40s %.130s>", method_text, route_text);
    else
        snprintf(label, size, "<%.40s %.130s (%.130s)>", method_text, route_text, view_text);
    return has_route && has_view ? DJANGO_LABEL : DJANGO_PARTIAL;
}

/* One read of the label: Django's request where a handler frame has one bound and
 * Django has resolved the URL, else WSGI's environ. *resolved: Django's label, whole;
 * *whole: every part of the label was read as the type it should have. */
static bool read_label(struct py_request_reader *rr, const struct py_walker *w, const struct py_stack *stack,
                       bool django, char *label, size_t size, bool *resolved, bool *whole)
{
    bool partial = false; /* a hostile request's `<GET ?>`: Django's, not the environ's */
    *resolved = *whole = false;
    for (size_t i = stack->depth; django && i-- > 0;) {
        const struct py_frame *f = &stack->frames[i];
        const struct code_slot *code = classify(rr, w, f->code);
        uint64_t request = code->role != ROLE_NONE ? local_value(w, f, code->request_index) : 0;
        if (request != 0 && !py_object_is(w->reader, &w->runtime->layout, request, "NoneType")) {
            enum django_read read = django_label(w, request, label, size);
            if (!still_holds(w, f, code->request_index, request))
                return false;
            *resolved = *whole = read == DJANGO_LABEL;
            partial = read == DJANGO_PARTIAL;
            break;
        }
    }
    return *resolved || partial || environ_label(rr, w, stack, label, size, whole);
}

bool py_request_label(struct py_request_reader *rr, const struct py_walker *w, const struct py_stack *stack,
                      pid_t tid, char *label, size_t size, uint64_t *call_id)
{
    /* The handler frames, outermost first: Django's, else any holding `environ`. */
    const struct py_frame *outer = NULL, *resolve = NULL, *environ = NULL;
    for (size_t i = stack->depth; i-- > 0;) {
        const struct py_frame *f = &stack->frames[i];
        const struct code_slot *code = classify(rr, w, f->code);
        if (code->role != ROLE_NONE && outer == NULL)
            outer = f;
        if (code->role == ROLE_DJANGO_RESOLVE && resolve == NULL)
            resolve = i > 0 ? f - 1 : f; /* its callee: resolve_request, then the view */
        if (code->environ_index >= 0 && environ == NULL)
            environ = f;
    }
    const struct py_frame *key = outer ? outer : environ;
    if (key == NULL)
        return false;
    uint64_t resolve_call = resolve ? resolve->call_id : 0;
    struct label_slot *slot = &rr->labels[(uint32_t)tid % LABEL_SLOTS];
    if (slot->tid == tid && slot->call_id == key->call_id &&
        (slot->resolved || resolve_call == 0 || resolve_call == slot->resolve_call)) {
        snprintf(label, size, "%s", slot->label);
        *call_id = slot->call_id;
        rr->served++;
        return true;
    }
    /* The objects may change under the reads (the target runs on): the label is kept
     * for the call once two reads in a row agree on a whole label; at most READS reads.
     * Without agreement this sample's label is the last whole one read, else the last
     * one: a request's fields of the wrong type, read the same every time, are a hostile
     * request (`<? ?>`); read once among whole reads, a dict changing under the read
     * (gunicorn's gthread workers, CPython 3.11). A label not whole (a hostile request,
     * or two reads torn alike) is never kept: it is read again at the next sample. */
    char again[PY_REQUEST_LABEL_MAX], last_whole[PY_REQUEST_LABEL_MAX] = "";
    bool resolved = false, resolved_again = false, whole = false, whole_again = false, agreed = false;
    if (!read_label(rr, w, stack, outer != NULL, label, size, &resolved, &whole))
        return false;
    rr->read++;
    if (whole)
        snprintf(last_whole, sizeof last_whole, "%s", label);
    *call_id = key->call_id;
    for (int read = 1; read < READS && !agreed; read++) {
        if (!read_label(rr, w, stack, outer != NULL, again, sizeof again, &resolved_again, &whole_again))
            return false;
        agreed = strcmp(again, label) == 0 && resolved == resolved_again && whole && whole_again;
        snprintf(label, size, "%s", again);
        resolved = resolved_again;
        whole = whole_again;
        if (whole_again)
            snprintf(last_whole, sizeof last_whole, "%s", again);
    }
    if (!agreed) {
        if (last_whole[0])
            snprintf(label, size, "%s", last_whole);
        slot->tid = 0;
        rr->served++;
        return true;
    }
    *slot = (struct label_slot){.tid = tid, .call_id = key->call_id, .resolve_call = resolve_call,
                                .resolved = resolved};
    snprintf(slot->label, sizeof slot->label, "%s", label);
    rr->served++;
    return true;
}

/* Path folding: pure text, unit-tested (tests/unit/test_request_path.c). */

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_uuid(const char *s, size_t n)
{
    if (n != 36)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !is_hex(s[i]))
            return false;
    return true;
}

static bool is_hex_id(const char *s, size_t n)
{
    bool digit = false, letter = false;
    if (n < 8)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_hex(s[i]))
            return false;
        digit |= s[i] >= '0' && s[i] <= '9';
        letter |= is_alpha(s[i]);
    }
    return digit && letter;
}

struct out_text {
    char *buf;
    size_t size, len;
};

static void put(struct out_text *o, const char *s, size_t n)
{
    if (o->len + n >= o->size)
        n = o->size - 1 - o->len;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void fold_segment(struct out_text *o, const char *s, size_t n)
{
    if (is_uuid(s, n)) {
        put(o, "<uuid>", 6);
        return;
    }
    if (is_hex_id(s, n)) {
        put(o, "<hex>", 5);
        return;
    }
    for (size_t i = 0; i < n;) {
        if (s[i] >= '0' && s[i] <= '9') {
            size_t j = i;
            while (j < n && s[j] >= '0' && s[j] <= '9')
                j++;
            if ((i == 0 || !is_alpha(s[i - 1])) && (j == n || !is_alpha(s[j]))) {
                put(o, "<int>", 5);
                i = j;
                continue;
            }
            put(o, s + i, j - i);
            i = j;
            continue;
        }
        put(o, s + i, 1);
        i++;
    }
}

void py_request_fold_path(const char *path, char *out, size_t size)
{
    struct out_text o = {out, size, 0};
    if (size == 0)
        return;
    out[0] = '\0';
    const char *s = path;
    while (*s) {
        size_t n = strcspn(s, "/");
        fold_segment(&o, s, n);
        s += n;
        if (*s == '/') {
            put(&o, "/", 1);
            s++;
        }
    }
}

/* pstats dump <-> profile. The writer produces exactly what cProfile's
 * Stats.dump_stats() writes (marshal version 4 of the stats dict); the reader
 * accepts what cProfile and profile wrote from Python 2.7 to 3.13. */
#include "output/pstats_file.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include "output/marshal_read.h"

static void encode_key(const struct pa_profile *p, struct pa_marshal *m, uint32_t func)
{
    const struct pa_pfunc *f = &p->funcs[func];
    pa_marshal_tuple(m, 3);
    pa_marshal_string(m, f->file, pa_strtab_text(&p->strings, f->file),
                      pa_strtab_len(&p->strings, f->file));
    pa_marshal_int(m, f->line);
    pa_marshal_string(m, f->name, pa_strtab_text(&p->strings, f->name),
                      pa_strtab_len(&p->strings, f->name));
}

enum pa_status pa_pstats_encode(const struct pa_profile *p, struct pa_marshal *m,
                                struct pa_error *err)
{
    /* marshal.dump(self.stats, f): the dict is shared with the caller, so CPython flags it */
    pa_marshal_dict_begin(m, true);
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        const struct pa_pfunc *f = &p->funcs[i];
        if (!f->has_stats)
            continue;
        encode_key(p, m, i);
        pa_marshal_tuple(m, 5);
        pa_marshal_int(m, f->cc);
        pa_marshal_int(m, f->nc);
        pa_marshal_float(m, f->tt);
        pa_marshal_float(m, f->ct);
        pa_marshal_dict_begin(m, false);
        for (uint32_t e = f->callers_head; e != PA_INDEX_NONE; e = p->edges[e].next) {
            const struct pa_pedge *edge = &p->edges[e];
            encode_key(p, m, edge->caller);
            if (p->callers_are_counts) {
                pa_marshal_int(m, edge->nc);
                continue;
            }
            /* cProfile's caller tuples are (nc, cc, tt, ct): note nc first, unlike the stats */
            pa_marshal_tuple(m, 4);
            pa_marshal_int(m, edge->nc);
            pa_marshal_int(m, edge->cc);
            pa_marshal_float(m, edge->tt);
            pa_marshal_float(m, edge->ct);
        }
        pa_marshal_dict_end(m);
    }
    pa_marshal_dict_end(m);
    if (m->failed)
        return pa_fail(err, PA_E_NOMEM, "out of memory encoding the pstats dump");
    if (m->write_failed)
        return pa_fail(err, PA_E_OUTPUT, "cannot write the pstats dump: %s", strerror(errno));
    return PA_OK;
}

enum pa_status pa_pstats_write(const struct pa_profile *p, FILE *out, struct pa_error *err)
{
    struct pa_marshal m;
    pa_marshal_init_file(&m, out);
    pa_marshal_imitate(&m, p->cpython_minor);
    enum pa_status st = pa_pstats_encode(p, &m, err);
    if (st == PA_OK && (!pa_marshal_flush(&m) || fflush(out) != 0))
        st = pa_fail(err, PA_E_OUTPUT, "cannot write the pstats dump: %s", strerror(errno));
    pa_marshal_free(&m);
    return st;
}

/* ------------------------------------------------------------------ reading */

static enum pa_status not_pstats(struct pa_error *err, const char *why)
{
    return pa_fail(err, PA_E_CORRUPT, "not a pstats dump: %s", why);
}

static bool is_number(const struct pa_mobj *o)
{
    return o->type == PA_M_INT || o->type == PA_M_FLOAT || o->type == PA_M_BOOL;
}

static double number(const struct pa_mobj *o)
{
    return o->type == PA_M_FLOAT ? o->u.f : (double)o->u.i;
}

static bool is_int(const struct pa_mobj *o)
{
    return o->type == PA_M_INT || o->type == PA_M_BOOL;
}

/* A (file, line, name) key -> function number. */
static enum pa_status key_func(struct pa_profile *p, const struct pa_mobj *key, uint32_t *out,
                               struct pa_error *err)
{
    if (key->type != PA_M_TUPLE || key->n != 3)
        return not_pstats(err, "a key is not a (file, line, name) tuple");
    const struct pa_mobj *file = key->u.items[0], *line = key->u.items[1], *name = key->u.items[2];
    if (file->type != PA_M_STR || !is_int(line) || name->type != PA_M_STR)
        return not_pstats(err, "a key is not a (file, line, name) tuple");
    uint32_t file_id = pa_strtab_intern(&p->strings, file->u.str.s, file->u.str.len);
    uint32_t name_id = pa_strtab_intern(&p->strings, name->u.str.s, name->u.str.len);
    if (file_id == PA_INDEX_NONE || name_id == PA_INDEX_NONE)
        return pa_fail(err, PA_E_NOMEM, "out of memory loading the profile");
    *out = pa_profile_func(p, file_id, line->u.i, name_id);
    if (*out == PA_INDEX_NONE)
        return pa_fail(err, PA_E_NOMEM, "out of memory loading the profile");
    return PA_OK;
}

static enum pa_status load_stats(struct pa_profile *p, const struct pa_mobj *key,
                                 const struct pa_mobj *value, struct pa_error *err)
{
    uint32_t f;
    enum pa_status st = key_func(p, key, &f, err);
    if (st != PA_OK)
        return st;
    if (value->type != PA_M_TUPLE || value->n != 5)
        return not_pstats(err, "a value is not a (cc, nc, tt, ct, callers) tuple");
    struct pa_mobj **v = value->u.items;
    if (!is_int(v[0]) || !is_int(v[1]) || !is_number(v[2]) || !is_number(v[3]) ||
        v[4]->type != PA_M_DICT)
        return not_pstats(err, "a value is not a (cc, nc, tt, ct, callers) tuple");
    struct pa_pfunc *fn = &p->funcs[f];
    /* a later duplicate key replaces the earlier one, as in the dict marshal.load builds */
    fn->cc = v[0]->u.i;
    fn->nc = v[1]->u.i;
    fn->tt = number(v[2]);
    fn->ct = number(v[3]);
    fn->has_stats = true;
    return PA_OK;
}

static enum pa_status load_callers(struct pa_profile *p, const struct pa_mobj *key,
                                   const struct pa_mobj *callers, struct pa_error *err)
{
    uint32_t callee;
    enum pa_status st = key_func(p, key, &callee, err);
    for (uint32_t i = 0; st == PA_OK && i < callers->n; i++) {
        const struct pa_mobj *ckey = callers->u.items[2 * i];
        const struct pa_mobj *cval = callers->u.items[2 * i + 1];
        uint32_t caller;
        st = key_func(p, ckey, &caller, err);
        if (st != PA_OK)
            break;
        bool count_only = is_int(cval);
        if (!count_only) {
            if (cval->type != PA_M_TUPLE || cval->n != 4 || !is_int(cval->u.items[0]) ||
                !is_int(cval->u.items[1]) || !is_number(cval->u.items[2]) ||
                !is_number(cval->u.items[3]))
                return not_pstats(err, "a caller's value is not (nc, cc, tt, ct) or a count");
        }
        uint32_t e = pa_profile_edge(p, caller, callee);
        if (e == PA_INDEX_NONE)
            return pa_fail(err, PA_E_NOMEM, "out of memory loading the profile");
        struct pa_pedge *edge = &p->edges[e];
        if (count_only) {
            p->callers_are_counts = true;
            edge->nc = cval->u.i;
            continue;
        }
        edge->nc = cval->u.items[0]->u.i;
        edge->cc = cval->u.items[1]->u.i;
        edge->tt = number(cval->u.items[2]);
        edge->ct = number(cval->u.items[3]);
    }
    return st;
}

enum pa_status pa_pstats_load(const unsigned char *data, size_t len, struct pa_profile *p,
                              struct pa_error *err)
{
    struct pa_marshal_doc doc;
    enum pa_status st = pa_marshal_read(data, len, &doc, err);
    if (st != PA_OK)
        return st;
    const struct pa_mobj *root = doc.root;
    if (root->type != PA_M_DICT)
        st = not_pstats(err, "the top-level object is not a dict");
    /* all stats keys first, so function numbers follow the dict's order */
    for (uint32_t i = 0; st == PA_OK && i < root->n; i++)
        st = load_stats(p, root->u.items[2 * i], root->u.items[2 * i + 1], err);
    for (uint32_t i = 0; st == PA_OK && i < root->n; i++)
        st = load_callers(p, root->u.items[2 * i], root->u.items[2 * i + 1]->u.items[4], err);
    pa_marshal_doc_free(&doc);
    return st;
}

enum pa_status pa_pstats_load_file(const char *path, struct pa_profile *p, struct pa_error *err)
{
    return pa_profile_load_file(path, pa_pstats_load, p, err);
}

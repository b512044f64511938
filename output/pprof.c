/* Collecting samples into a pprof Profile and encoding it (layout in pprof.h). Each
 * table is an array plus a hash index over the bytes of its key. */
#include "output/pprof.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strings every profile holds, interned first so their ids are these. */
enum { S_EMPTY, S_SAMPLES, S_COUNT, S_NANOSECONDS, S_PID, S_PROCESS, S_TID, S_THREAD_NAME, S_FIXED };
static const char *const FIXED_STRINGS[S_FIXED] = {"", "samples", "count", "nanoseconds",
                                                   "pid", "process", "tid", "thread_name"};

struct probe {
    const void *items;
    const void *item;
    size_t key_size, item_size;
};

static bool key_equal(const void *key, uint32_t entry)
{
    const struct probe *k = key;
    return memcmp((const char *)k->items + (size_t)entry * k->item_size, k->item, k->key_size) == 0;
}

/* The id of the entry whose first key_size bytes equal item's, appending item if new.
 * Items are built from zeroed memory, so padding compares equal. */
static uint32_t intern(struct pa_index *index, void **items, uint32_t *count, uint32_t *capacity,
                       size_t item_size, size_t key_size, const void *item)
{
    uint32_t hash = pa_hash_bytes(item, key_size);
    struct probe key = {*items, item, key_size, item_size};
    uint32_t id = pa_index_find(index, hash, key_equal, &key);
    if (id != PA_INDEX_NONE)
        return id;
    if (!pa_index_reserve(items, *count, capacity, item_size))
        return PA_INDEX_NONE;
    id = *count;
    if (!pa_index_insert(index, hash, id))
        return PA_INDEX_NONE;
    memcpy((char *)*items + (size_t)id * item_size, item, item_size);
    (*count)++;
    return id;
}

#define INTERN(p, table, item)                                                                       \
    intern(&(p)->table##_index, (void **)&(p)->table##s, &(p)->n##table##s, &(p)->table##s_capacity, \
           sizeof *(p)->table##s, sizeof *(item), (item))

bool pa_pprof_init(struct pa_pprof *p)
{
    memset(p, 0, sizeof *p);
    pa_strtab_init(&p->strings);
    pa_index_init(&p->function_index);
    pa_index_init(&p->location_index);
    pa_index_init(&p->node_index);
    pa_index_init(&p->label_index);
    pa_index_init(&p->sample_index);
    for (uint32_t i = 0; i < S_FIXED; i++)
        if (pa_strtab_intern(&p->strings, FIXED_STRINGS[i], strlen(FIXED_STRINGS[i])) != i)
            return false;
    struct pa_pprof_labels none;
    memset(&none, 0, sizeof none);
    return intern(&p->label_index, (void **)&p->labels, &p->nlabels, &p->labels_capacity, sizeof none,
                  sizeof none, &none) == 0;
}

void pa_pprof_free(struct pa_pprof *p)
{
    pa_strtab_free(&p->strings);
    free(p->functions);
    free(p->locations);
    free(p->nodes);
    free(p->labels);
    free(p->samples);
    pa_index_free(&p->function_index);
    pa_index_free(&p->location_index);
    pa_index_free(&p->node_index);
    pa_index_free(&p->label_index);
    pa_index_free(&p->sample_index);
    memset(p, 0, sizeof *p);
}

static uint32_t string_id(struct pa_pprof *p, const char *text, size_t len)
{
    return pa_strtab_intern(&p->strings, text, len);
}

/* "<process 4242: CMD>" (sampler/sampler.c) -> pid, process. 1: taken; 0: not such a frame. */
static int process_label(struct pa_pprof *p, const char *s, struct pa_pprof_labels *l)
{
    size_t n = strlen(s);
    if (strncmp(s, "<process ", 9) != 0 || s[n - 1] != '>' || (l->has & PA_PPROF_PID))
        return 0;
    char *end;
    long long pid = strtoll(s + 9, &end, 10);
    if (end == s + 9 || pid <= 0 || strncmp(end, ": ", 2) != 0 || end + 2 > s + n - 1)
        return 0;
    l->pid = pid;
    l->process = string_id(p, end + 2, (size_t)(s + n - 1 - (end + 2)));
    if (l->process == PA_INDEX_NONE)
        return -1;
    l->has |= PA_PPROF_PID | PA_PPROF_PROCESS;
    return 1;
}

/* "<thread 4250 \"NAME\">", "<thread 4250>" or "<thread>" (name unknown) -> tid, thread_name. */
static int thread_label(struct pa_pprof *p, const char *s, int tid, struct pa_pprof_labels *l)
{
    size_t n = strlen(s);
    if ((l->has & PA_PPROF_TID) || s[n - 1] != '>')
        return 0;
    if (strcmp(s, "<thread>") == 0) {
        l->tid = tid;
        l->has |= PA_PPROF_TID;
        return 1;
    }
    if (strncmp(s, "<thread ", 8) != 0)
        return 0;
    char *end;
    long long value = strtoll(s + 8, &end, 10);
    if (end == s + 8)
        return 0;
    if (end == s + n - 1) {
        l->tid = value;
        l->has |= PA_PPROF_TID;
        return 1;
    }
    if (strncmp(end, " \"", 2) != 0 || n < 2 || s[n - 2] != '"' || end + 2 > s + n - 2)
        return 0;
    l->tid = value;
    l->thread_name = string_id(p, end + 2, (size_t)(s + n - 2 - (end + 2)));
    if (l->thread_name == PA_INDEX_NONE)
        return -1;
    l->has |= PA_PPROF_TID | PA_PPROF_THREAD_NAME;
    return 1;
}

static int synthetic_label(struct pa_pprof *p, const struct pa_frame *f, int tid, struct pa_pprof_labels *l)
{
    if (f->filename == NULL || strcmp(f->filename, "~") != 0 || f->function == NULL || f->function[0] != '<')
        return 0;
    int taken = process_label(p, f->function, l);
    return taken != 0 ? taken : thread_label(p, f->function, tid, l);
}

static uint32_t location_of(struct pa_pprof *p, const struct pa_frame *frame)
{
    const char *name = frame->function ? frame->function : "";
    const char *file = frame->filename && strcmp(frame->filename, "~") != 0 ? frame->filename : "";
    struct pa_pprof_function fn;
    memset(&fn, 0, sizeof fn);
    fn.name = string_id(p, name, strlen(name));
    fn.file = string_id(p, file, strlen(file));
    fn.start_line = frame->first_line;
    if (fn.name == PA_INDEX_NONE || fn.file == PA_INDEX_NONE)
        return PA_INDEX_NONE;
    struct pa_pprof_location loc;
    memset(&loc, 0, sizeof loc);
    loc.function = INTERN(p, function, &fn);
    loc.line = frame->line > 0 ? frame->line : frame->first_line;
    if (loc.function == PA_INDEX_NONE)
        return PA_INDEX_NONE;
    return INTERN(p, location, &loc);
}

enum pa_status pa_pprof_add(struct pa_pprof *p, const struct pa_stack *stack, struct pa_error *err)
{
    size_t depth = stack->depth;
    struct pa_pprof_labels labels;
    memset(&labels, 0, sizeof labels);
    /* The <process>/<thread> roots become labels. --by-request's root, outermost above
     * them, stays a frame: one tree per request. */
    bool taken_at[3] = {false, false, false};
    size_t taken_count = 0;
    for (size_t k = 0; k < 3 && k < depth; k++) {
        const struct pa_frame *f = &stack->frames[depth - 1 - k];
        int taken = synthetic_label(p, f, stack->tid, &labels);
        if (taken < 0)
            goto nomem;
        if (taken > 0) {
            taken_at[k] = true;
            taken_count++;
        } else if (k > 0 || f->filename == NULL || strcmp(f->filename, "~") != 0) {
            break;
        }
    }
    if (depth == taken_count)
        return PA_OK;
    uint32_t label_set = INTERN(p, label, &labels);
    if (label_set == PA_INDEX_NONE)
        goto nomem;
    uint32_t node = PA_INDEX_NONE;
    size_t kept = 0;
    for (size_t d = 0; d < depth; d++) {
        if (d < 3 && taken_at[d])
            continue;
        struct pa_pprof_node n;
        memset(&n, 0, sizeof n);
        n.parent = node;
        n.location = location_of(p, &stack->frames[depth - 1 - d]);
        if (n.location == PA_INDEX_NONE)
            goto nomem;
        node = INTERN(p, node, &n);
        if (node == PA_INDEX_NONE)
            goto nomem;
        kept++;
    }
    struct pa_pprof_sample s;
    memset(&s, 0, sizeof s);
    s.leaf = node;
    s.labels = label_set;
    uint32_t id = intern(&p->sample_index, (void **)&p->samples, &p->nsamples, &p->samples_capacity,
                         sizeof s, offsetof(struct pa_pprof_sample, count), &s);
    if (id == PA_INDEX_NONE)
        goto nomem;
    p->samples[id].count++;
    p->samples[id].seconds += stack->weight;
    if (kept > p->max_depth)
        p->max_depth = kept;
    return PA_OK;
nomem:
    return pa_fail(err, PA_E_NOMEM, "out of memory collecting the pprof profile");
}

/* ---------------------------------------------------------------- encoding */

static uint64_t nanoseconds(double seconds)
{
    return seconds > 0 && isfinite(seconds) ? (uint64_t)llround(seconds * 1e9) : 0;
}

static void value_type(struct pa_pb_buf *b, uint32_t field, uint32_t type, uint32_t unit)
{
    size_t m = pa_pb_begin(b, field);
    pa_pb_uint(b, 1, type);
    pa_pb_uint(b, 2, unit);
    pa_pb_end(b, m);
}

static void label(struct pa_pb_buf *b, uint32_t key, uint32_t str, int64_t num)
{
    size_t m = pa_pb_begin(b, 3);
    pa_pb_uint(b, 1, key);
    pa_pb_uint(b, 2, str);
    pa_pb_uint(b, 3, (uint64_t)num);
    pa_pb_end(b, m);
}

static void encode_sample(const struct pa_pprof *p, const struct pa_pprof_sample *s, uint64_t *ids,
                          struct pa_pb_buf *b)
{
    size_t depth = 0;
    for (uint32_t n = s->leaf; n != PA_INDEX_NONE; n = p->nodes[n].parent)
        ids[depth++] = (uint64_t)p->nodes[n].location + 1; /* leaf first */
    uint64_t values[2] = {s->count, nanoseconds(s->seconds)};
    const struct pa_pprof_labels *l = &p->labels[s->labels];
    size_t m = pa_pb_begin(b, 2);
    pa_pb_packed(b, 1, ids, depth);
    pa_pb_packed(b, 2, values, 2);
    if (l->has & PA_PPROF_PID)
        label(b, S_PID, 0, l->pid);
    if (l->has & PA_PPROF_PROCESS)
        label(b, S_PROCESS, l->process, 0);
    if (l->has & PA_PPROF_TID)
        label(b, S_TID, 0, l->tid);
    if (l->has & PA_PPROF_THREAD_NAME)
        label(b, S_THREAD_NAME, l->thread_name, 0);
    pa_pb_end(b, m);
}

static void encode_tables(const struct pa_pprof *p, uint32_t program, struct pa_pb_buf *b)
{
    size_t m = pa_pb_begin(b, 3); /* one mapping, fully symbolized: pprof leaves it alone */
    pa_pb_uint(b, 1, 1);
    pa_pb_uint(b, 5, program);
    pa_pb_uint(b, 7, 1);
    pa_pb_uint(b, 8, 1);
    pa_pb_uint(b, 9, 1);
    pa_pb_end(b, m);
    for (uint32_t i = 0; i < p->nlocations; i++) {
        m = pa_pb_begin(b, 4);
        pa_pb_uint(b, 1, (uint64_t)i + 1);
        pa_pb_uint(b, 2, 1);
        size_t line = pa_pb_begin(b, 4);
        pa_pb_uint(b, 1, (uint64_t)p->locations[i].function + 1);
        pa_pb_uint(b, 2, (uint64_t)p->locations[i].line);
        pa_pb_end(b, line);
        pa_pb_end(b, m);
    }
    for (uint32_t i = 0; i < p->nfunctions; i++) {
        const struct pa_pprof_function *f = &p->functions[i];
        m = pa_pb_begin(b, 5);
        pa_pb_uint(b, 1, (uint64_t)i + 1);
        pa_pb_uint(b, 2, f->name); /* system_name (3) stays empty */
        pa_pb_uint(b, 4, f->file);
        pa_pb_uint(b, 5, (uint64_t)f->start_line);
        pa_pb_end(b, m);
    }
}

enum pa_status pa_pprof_encode(struct pa_pprof *p, const struct pa_recording_info *info,
                               struct pa_pb_buf *b, struct pa_error *err)
{
    const char *mode = info && info->mode ? info->mode : "wall";
    const char *program = info && info->program ? info->program : "python";
    double interval = info ? info->interval : 0;
    char comment[96];
    if (interval > 0)
        snprintf(comment, sizeof comment, "pyattach mode=%s rate=%gHz", mode, 1.0 / interval);
    else
        snprintf(comment, sizeof comment, "pyattach mode=%s", mode);
    uint32_t mode_id = string_id(p, mode, strlen(mode));
    uint32_t program_id = string_id(p, program, strlen(program));
    uint32_t comment_id = string_id(p, comment, strlen(comment));
    uint64_t *ids = malloc((p->max_depth ? p->max_depth : 1) * sizeof *ids);
    if (mode_id == PA_INDEX_NONE || program_id == PA_INDEX_NONE || comment_id == PA_INDEX_NONE || ids == NULL) {
        free(ids);
        return pa_fail(err, PA_E_NOMEM, "out of memory encoding the pprof profile");
    }
    value_type(b, 1, S_SAMPLES, S_COUNT);
    value_type(b, 1, mode_id, S_NANOSECONDS); /* the time last: what pprof shows by default */
    for (uint32_t i = 0; i < p->nsamples; i++)
        encode_sample(p, &p->samples[i], ids, b);
    free(ids);
    encode_tables(p, program_id, b);
    for (uint32_t i = 0; i < p->strings.count; i++)
        pa_pb_bytes(b, 6, pa_strtab_text(&p->strings, i), pa_strtab_len(&p->strings, i));
    pa_pb_uint(b, 9, info ? nanoseconds(info->start) : 0);
    pa_pb_uint(b, 10, info ? nanoseconds(info->duration) : 0);
    value_type(b, 11, mode_id, S_NANOSECONDS);
    pa_pb_uint(b, 12, nanoseconds(interval));
    uint64_t comments[1] = {comment_id};
    pa_pb_packed(b, 13, comments, 1);
    pa_pb_uint(b, 14, mode_id);
    if (b->failed)
        return pa_fail(err, PA_E_NOMEM, "out of memory encoding the pprof profile");
    return PA_OK;
}

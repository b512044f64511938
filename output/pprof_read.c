/* Reading a pprof file back into cProfile's model for `pyattach view`: gunzip, decode
 * the fields pyattach writes (others are skipped by wire type), and feed every sample
 * through the same aggregation a recording uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "attach/array.h"
#include "output/pprof.h"
#include "output/profile_aggregate.h"

#define MAX_INFLATED ((size_t)1 << 30)
#define MAX_SAMPLES 100000000ull /* aggregated samples a file may claim */

struct text {
    const char *s; /* NUL-terminated copy */
};

struct function {
    uint64_t id;
    uint32_t name, file;
    int64_t start_line;
};

struct location {
    uint64_t id;
    const uint8_t *data; /* the Location message, for its lines */
    size_t len;
};

struct slice {
    const uint8_t *data;
    size_t len;
};

struct decoded {
    char *text_block;
    struct text *strings;
    size_t nstrings, raw_capacity;
    uint64_t types[16][2]; /* sample_type: (type, unit) string ids */
    size_t ntypes;
    uint64_t default_type;
    struct function *functions;
    size_t nfunctions, functions_capacity;
    struct location *locations;
    size_t nlocations, locations_capacity;
    struct slice *samples;
    size_t nsamples, samples_capacity;
    struct slice *raw_strings;
};

static enum pa_status corrupt(struct pa_error *err, const char *why)
{
    return pa_fail(err, PA_E_CORRUPT, "not a pprof profile: %s", why);
}

static enum pa_status nomem(struct pa_error *err)
{
    return pa_fail(err, PA_E_NOMEM, "out of memory reading the pprof profile");
}

static void decoded_free(struct decoded *d)
{
    free(d->text_block);
    free(d->strings);
    free(d->functions);
    free(d->locations);
    free(d->samples);
    free(d->raw_strings);
}

/* ---------------------------------------------------------------- gzip */

static enum pa_status gunzip(const unsigned char *data, size_t len, unsigned char **out, size_t *out_len,
                             struct pa_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return nomem(err);
    size_t capacity = len * 4 + 4096, used = 0;
    unsigned char *buf = malloc(capacity);
    enum pa_status st = buf ? PA_OK : nomem(err);
    z.next_in = (unsigned char *)data;
    while (st == PA_OK) {
        if (used == capacity) {
            unsigned char *bigger = capacity < MAX_INFLATED ? realloc(buf, capacity * 2) : NULL;
            if (bigger == NULL) {
                st = capacity < MAX_INFLATED ? nomem(err) : corrupt(err, "more than 1 GiB uncompressed");
                break;
            }
            buf = bigger;
            capacity *= 2;
        }
        size_t in_left = len - (size_t)(z.next_in - data);
        z.avail_in = in_left > UINT32_MAX ? UINT32_MAX : (uInt)in_left;
        z.next_out = buf + used;
        z.avail_out = capacity - used > UINT32_MAX ? UINT32_MAX : (uInt)(capacity - used);
        int rc = inflate(&z, Z_NO_FLUSH);
        used = (size_t)(z.next_out - buf);
        if (rc == Z_STREAM_END)
            break;
        if (rc == Z_BUF_ERROR && z.avail_out > 0) /* no progress with room left: input ended */
            st = corrupt(err, "the gzip data is truncated");
        else if (rc != Z_OK && rc != Z_BUF_ERROR)
            st = rc == Z_MEM_ERROR ? nomem(err) : corrupt(err, "bad gzip data");
    }
    inflateEnd(&z);
    if (st != PA_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *out_len = used;
    return PA_OK;
}

/* ---------------------------------------------------------------- decoding */

static enum pa_status decode_function(struct decoded *d, const struct pa_pb_field *f, struct pa_error *err)
{
    if (!pa_array_reserve((void **)&d->functions, &d->functions_capacity, d->nfunctions + 1, sizeof *d->functions))
        return nomem(err);
    struct function fn = {0};
    struct pa_pb_reader r = pa_pb_reader_of(f->data, f->len);
    struct pa_pb_field g;
    int rc;
    while ((rc = pa_pb_next(&r, &g)) > 0) {
        if (g.wire != PA_PB_VARINT)
            continue;
        if (g.number == 1)
            fn.id = g.value;
        else if (g.number == 2)
            fn.name = g.value > UINT32_MAX ? UINT32_MAX : (uint32_t)g.value;
        else if (g.number == 4)
            fn.file = g.value > UINT32_MAX ? UINT32_MAX : (uint32_t)g.value;
        else if (g.number == 5)
            fn.start_line = (int64_t)g.value;
    }
    if (rc < 0)
        return corrupt(err, "a malformed Function");
    if (fn.name >= d->nstrings || fn.file >= d->nstrings)
        return corrupt(err, "a function's name is not in the string table");
    d->functions[d->nfunctions++] = fn;
    return PA_OK;
}

static enum pa_status decode_location(struct decoded *d, const struct pa_pb_field *f, struct pa_error *err)
{
    if (!pa_array_reserve((void **)&d->locations, &d->locations_capacity, d->nlocations + 1, sizeof *d->locations))
        return nomem(err);
    struct location loc = {0, f->data, f->len};
    struct pa_pb_reader r = pa_pb_reader_of(f->data, f->len);
    struct pa_pb_field g;
    int rc;
    while ((rc = pa_pb_next(&r, &g)) > 0)
        if (g.number == 1 && g.wire == PA_PB_VARINT)
            loc.id = g.value;
    if (rc < 0)
        return corrupt(err, "a malformed Location");
    d->locations[d->nlocations++] = loc;
    return PA_OK;
}

/* The top-level fields: strings first, as everything else names them by index. */
static enum pa_status decode_profile(const uint8_t *data, size_t len, struct decoded *d, struct pa_error *err)
{
    struct pa_pb_reader r = pa_pb_reader_of(data, len);
    struct pa_pb_field f;
    int rc;
    size_t text_bytes = 0;
    while ((rc = pa_pb_next(&r, &f)) > 0) {
        if (f.number != 6)
            continue;
        if (f.wire != PA_PB_LEN)
            return corrupt(err, "a string table entry is not a string");
        if (!pa_array_reserve((void **)&d->raw_strings, &d->raw_capacity, d->nstrings + 1, sizeof *d->raw_strings))
            return nomem(err);
        d->raw_strings[d->nstrings++] = (struct slice){f.data, f.len};
        text_bytes += f.len + 1;
    }
    if (rc < 0)
        return corrupt(err, "malformed protobuf");
    if (d->nstrings == 0 || d->raw_strings[0].len != 0)
        return corrupt(err, "its string table does not start with an empty string");
    d->strings = malloc(d->nstrings * sizeof *d->strings);
    d->text_block = malloc(text_bytes);
    if (d->strings == NULL || d->text_block == NULL)
        return nomem(err);
    char *t = d->text_block;
    for (size_t i = 0; i < d->nstrings; i++) {
        memcpy(t, d->raw_strings[i].data, d->raw_strings[i].len);
        t[d->raw_strings[i].len] = '\0';
        d->strings[i].s = t;
        t += d->raw_strings[i].len + 1;
    }

    r = pa_pb_reader_of(data, len);
    enum pa_status st = PA_OK;
    while (st == PA_OK && pa_pb_next(&r, &f) > 0) {
        if (f.number == 14 && f.wire == PA_PB_VARINT) {
            d->default_type = f.value;
            continue;
        }
        if (f.wire != PA_PB_LEN)
            continue;
        switch (f.number) {
        case 1: { /* sample_type */
            if (d->ntypes == sizeof d->types / sizeof d->types[0])
                return corrupt(err, "too many sample types");
            uint64_t *vt = d->types[d->ntypes++];
            vt[0] = vt[1] = 0;
            struct pa_pb_reader v = pa_pb_reader_of(f.data, f.len);
            struct pa_pb_field g;
            while ((rc = pa_pb_next(&v, &g)) > 0)
                if ((g.number == 1 || g.number == 2) && g.wire == PA_PB_VARINT)
                    vt[g.number - 1] = g.value;
            if (rc < 0 || vt[0] >= d->nstrings || vt[1] >= d->nstrings)
                return corrupt(err, "a malformed sample type");
            break;
        }
        case 2:
            if (!pa_array_reserve((void **)&d->samples, &d->samples_capacity, d->nsamples + 1, sizeof *d->samples))
                return nomem(err);
            d->samples[d->nsamples++] = (struct slice){f.data, f.len};
            break;
        case 4:
            st = decode_location(d, &f, err);
            break;
        case 5:
            st = decode_function(d, &f, err);
            break;
        }
    }
    return st;
}

static int by_function_id(const void *a, const void *b)
{
    uint64_t x = ((const struct function *)a)->id, y = ((const struct function *)b)->id;
    return x < y ? -1 : x > y;
}

static int by_location_id(const void *a, const void *b)
{
    uint64_t x = ((const struct location *)a)->id, y = ((const struct location *)b)->id;
    return x < y ? -1 : x > y;
}

static const struct function *find_function(const struct decoded *d, uint64_t id)
{
    struct function key = {.id = id};
    if (d->nfunctions == 0)
        return NULL;
    return bsearch(&key, d->functions, d->nfunctions, sizeof key, by_function_id);
}

static const struct location *find_location(const struct decoded *d, uint64_t id)
{
    struct location key = {.id = id};
    if (d->nlocations == 0)
        return NULL;
    return bsearch(&key, d->locations, d->nlocations, sizeof key, by_location_id);
}

/* Seconds per unit of a time-valued sample type, 0 for any other unit. */
static double seconds_per(const char *unit)
{
    static const struct {
        const char *unit;
        double seconds;
    } units[] = {{"nanoseconds", 1e-9}, {"microseconds", 1e-6}, {"milliseconds", 1e-3}, {"seconds", 1}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].unit) == 0)
            return units[i].seconds;
    return 0;
}

/* ---------------------------------------------------------------- samples -> cProfile */

struct feed {
    struct decoded *d;
    struct pa_aggregate agg;
    size_t time_index, count_index; /* count_index == ntypes: none */
    double scale;                   /* seconds per time unit */
    struct pa_frame *frames;
    size_t nframes, frames_capacity;
    uint64_t *values;
    uint64_t call_id, total;
    char process_root[200], thread_root[200];
};

static bool push_frame(struct feed *fd, const char *file, const char *name, int64_t first_line, int64_t line)
{
    if (!pa_array_reserve((void **)&fd->frames, &fd->frames_capacity, fd->nframes + 1, sizeof *fd->frames))
        return false;
    fd->frames[fd->nframes++] = (struct pa_frame){
        .filename = file[0] ? file : "~", .function = name,
        .first_line = (int)first_line, .line = (int)line};
    return true;
}

/* A location's lines, innermost (inlined) first, as frames. */
static enum pa_status push_location(struct feed *fd, const struct location *loc, struct pa_error *err)
{
    struct pa_pb_reader r = pa_pb_reader_of(loc->data, loc->len);
    struct pa_pb_field f;
    int rc;
    bool any = false;
    while ((rc = pa_pb_next(&r, &f)) > 0) {
        if (f.number != 4 || f.wire != PA_PB_LEN)
            continue;
        uint64_t function_id = 0, line = 0;
        struct pa_pb_reader lr = pa_pb_reader_of(f.data, f.len);
        struct pa_pb_field g;
        while ((rc = pa_pb_next(&lr, &g)) > 0) {
            if (g.number == 1 && g.wire == PA_PB_VARINT)
                function_id = g.value;
            else if (g.number == 2 && g.wire == PA_PB_VARINT)
                line = g.value;
        }
        if (rc < 0)
            return corrupt(err, "a malformed Line");
        const struct function *fn = find_function(fd->d, function_id);
        if (fn == NULL)
            return corrupt(err, "a line names a function that does not exist");
        if (!push_frame(fd, fd->d->strings[fn->file].s, fd->d->strings[fn->name].s, fn->start_line,
                        (int64_t)line))
            return nomem(err);
        any = true;
    }
    if (rc < 0)
        return corrupt(err, "a malformed Location");
    if (!any && !push_frame(fd, "", "<unknown>", 0, 0)) /* an address pprof never symbolized */
        return nomem(err);
    return PA_OK;
}

/* pid/process and tid/thread_name labels become the synthetic roots a recording with
 * -s / --threads has in every other format (sampler/sampler.c spells them). */
static enum pa_status push_roots(struct feed *fd, uint64_t label_bits, const int64_t nums[2], const char *texts[2],
                                 struct pa_error *err)
{
    bool ok = true;
    if (label_bits & PA_PPROF_TID) {
        if (texts[1])
            snprintf(fd->thread_root, sizeof fd->thread_root, "<thread %lld \"%s\">", (long long)nums[1], texts[1]);
        else
            snprintf(fd->thread_root, sizeof fd->thread_root, "<thread %lld>", (long long)nums[1]);
        ok = push_frame(fd, "", fd->thread_root, 0, 0);
    }
    if (ok && (label_bits & PA_PPROF_PID)) {
        if (texts[0])
            snprintf(fd->process_root, sizeof fd->process_root, "<process %lld: %s>", (long long)nums[0], texts[0]);
        else
            snprintf(fd->process_root, sizeof fd->process_root, "<process %lld>", (long long)nums[0]);
        ok = push_frame(fd, "", fd->process_root, 0, 0);
    }
    return ok ? PA_OK : nomem(err);
}

static enum pa_status read_label(const struct decoded *d, const struct pa_pb_field *f, uint64_t *bits,
                                 int64_t nums[2], const char *texts[2], struct pa_error *err)
{
    uint64_t key = 0, str = 0, num = 0;
    struct pa_pb_reader r = pa_pb_reader_of(f->data, f->len);
    struct pa_pb_field g;
    int rc;
    while ((rc = pa_pb_next(&r, &g)) > 0) {
        if (g.wire != PA_PB_VARINT)
            continue;
        if (g.number == 1)
            key = g.value;
        else if (g.number == 2)
            str = g.value;
        else if (g.number == 3)
            num = g.value;
    }
    if (rc < 0 || key >= d->nstrings || str >= d->nstrings)
        return corrupt(err, "a malformed Label");
    const char *name = d->strings[key].s;
    if (strcmp(name, "pid") == 0) {
        *bits |= PA_PPROF_PID;
        nums[0] = (int64_t)num;
    } else if (strcmp(name, "process") == 0 && str) {
        texts[0] = d->strings[str].s;
    } else if (strcmp(name, "tid") == 0) {
        *bits |= PA_PPROF_TID;
        nums[1] = (int64_t)num;
    } else if (strcmp(name, "thread_name") == 0 && str) {
        texts[1] = d->strings[str].s;
    }
    return PA_OK;
}

static enum pa_status feed_sample(struct feed *fd, const struct slice *sample, struct pa_error *err)
{
    const struct decoded *d = fd->d;
    struct pa_pb_reader r = pa_pb_reader_of(sample->data, sample->len);
    struct pa_pb_field f;
    size_t nvalues = 0;
    uint64_t bits = 0;
    int64_t nums[2] = {0, 0};
    const char *texts[2] = {NULL, NULL};
    enum pa_status st = PA_OK;
    int rc = 0, more = 0;
    fd->nframes = 0;
    while (st == PA_OK && (rc = pa_pb_next(&r, &f)) > 0) {
        struct pa_pb_reader items = {0};
        uint64_t v;
        if (f.number == 1) {
            while (st == PA_OK && (more = pa_pb_repeated(&f, &items, &v)) > 0) {
                const struct location *loc = find_location(d, v);
                st = loc ? push_location(fd, loc, err)
                         : corrupt(err, "a sample names a location that does not exist");
            }
        } else if (f.number == 2) {
            while ((more = pa_pb_repeated(&f, &items, &v)) > 0 && nvalues < d->ntypes)
                fd->values[nvalues++] = v;
            if (more > 0)
                return corrupt(err, "a sample has more values than there are sample types");
        } else if (f.number == 3 && f.wire == PA_PB_LEN) {
            st = read_label(d, &f, &bits, nums, texts, err);
            continue;
        } else {
            continue;
        }
        if (st == PA_OK && more < 0)
            st = corrupt(err, "a malformed Sample");
    }
    if (st != PA_OK)
        return st;
    if (rc < 0)
        return corrupt(err, "a malformed Sample");
    if (nvalues != d->ntypes)
        return corrupt(err, "a sample has fewer values than there are sample types");
    int64_t time = (int64_t)fd->values[fd->time_index];
    int64_t count = fd->count_index < d->ntypes ? (int64_t)fd->values[fd->count_index] : 1;
    if (time < 0 || count < 0)
        return corrupt(err, "negative sample values (a difference of two profiles?)");
    if (fd->nframes == 0 || (time == 0 && count == 0))
        return PA_OK;
    if (count == 0)
        count = 1;
    fd->total += (uint64_t)count;
    if (fd->total > MAX_SAMPLES)
        return corrupt(err, "more than 100000000 samples");
    if ((st = push_roots(fd, bits, nums, texts, err)) != PA_OK)
        return st;
    /* One add per sample the pprof sample stands for, each a new call of every frame:
     * ncalls then counts the samples a function was on the stack in. */
    struct pa_stack stack = {.weight = (double)time * fd->scale / (double)count, .depth = fd->nframes,
                             .frames = fd->frames};
    for (int64_t i = 0; i < count; i++) {
        fd->call_id++;
        for (size_t k = 0; k < fd->nframes; k++)
            fd->frames[k].call_id = fd->call_id;
        if ((st = pa_aggregate_add(&fd->agg, &stack, err)) != PA_OK)
            return st;
    }
    return PA_OK;
}

/* The sample type to show: default_sample_type if it is time-valued, else the last
 * time-valued one; samples: the first one counted in "count". */
static enum pa_status choose_values(struct feed *fd, struct pa_error *err)
{
    const struct decoded *d = fd->d;
    fd->time_index = fd->count_index = d->ntypes;
    for (size_t i = 0; i < d->ntypes; i++) {
        double scale = seconds_per(d->strings[d->types[i][1]].s);
        if (scale > 0 && (fd->time_index == d->ntypes || d->default_type != d->types[fd->time_index][0])) {
            fd->time_index = i;
            fd->scale = scale;
        }
        if (fd->count_index == d->ntypes && strcmp(d->strings[d->types[i][1]].s, "count") == 0)
            fd->count_index = i;
    }
    if (fd->time_index == d->ntypes && d->nsamples > 0)
        return corrupt(err, "no time-valued sample type (pyattach view shows time profiles)");
    return PA_OK;
}

static enum pa_status check_ids(struct decoded *d, struct pa_error *err)
{
    if (d->nfunctions > 0)
        qsort(d->functions, d->nfunctions, sizeof *d->functions, by_function_id);
    if (d->nlocations > 0)
        qsort(d->locations, d->nlocations, sizeof *d->locations, by_location_id);
    for (size_t i = 0; i < d->nfunctions; i++)
        if (d->functions[i].id == 0 || (i > 0 && d->functions[i].id == d->functions[i - 1].id))
            return corrupt(err, "function ids are not unique and nonzero");
    for (size_t i = 0; i < d->nlocations; i++)
        if (d->locations[i].id == 0 || (i > 0 && d->locations[i].id == d->locations[i - 1].id))
            return corrupt(err, "location ids are not unique and nonzero");
    return PA_OK;
}

enum pa_status pa_pprof_load(const unsigned char *data, size_t len, struct pa_profile *profile,
                             struct pa_error *err)
{
    unsigned char *inflated = NULL;
    if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        enum pa_status st = gunzip(data, len, &inflated, &len, err);
        if (st != PA_OK)
            return st;
        data = inflated;
    }
    struct decoded d;
    memset(&d, 0, sizeof d);
    struct feed fd;
    memset(&fd, 0, sizeof fd);
    fd.d = &d;
    pa_aggregate_init(&fd.agg);
    enum pa_status st = decode_profile(data, len, &d, err);
    if (st == PA_OK)
        st = check_ids(&d, err);
    if (st == PA_OK)
        st = choose_values(&fd, err);
    if (st == PA_OK && (fd.values = malloc((d.ntypes + 1) * sizeof *fd.values)) == NULL)
        st = nomem(err);
    for (size_t i = 0; st == PA_OK && i < d.nsamples; i++)
        st = feed_sample(&fd, &d.samples[i], err);
    if (st == PA_OK) { /* the aggregate's profile becomes the caller's */
        pa_profile_free(profile);
        *profile = fd.agg.profile;
        pa_profile_init(&fd.agg.profile);
    }
    pa_aggregate_free(&fd.agg);
    free(fd.frames);
    free(fd.values);
    decoded_free(&d);
    free(inflated);
    return st;
}

bool pa_pprof_file_is_pprof(const char *path)
{
    size_t n = strlen(path);
    static const char *const suffixes[] = {".pb.gz", ".pb", ".pprof"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcasecmp(path + n - k, suffixes[i]) == 0)
            return true;
    }
    unsigned char magic[2];
    FILE *f = fopen(path, "rb");
    bool gzip = f && fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (f)
        fclose(f);
    return gzip;
}

enum pa_status pa_pprof_load_file(const char *path, struct pa_profile *profile, struct pa_error *err)
{
    return pa_profile_load_file(path, pa_pprof_load, profile, err);
}

/* The pprof writer (-f pprof, .pb.gz, .pprof): the Profile of output/pprof.c, gzip'ed
 * with zlib as pprof, Pyroscope and Parca expect a file on disk. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output/pprof.h"
#include "output/writer_impl.h"

struct pprof_writer {
    struct pa_writer base;
    struct pa_pprof profile;
    struct pa_recording_info info;
    bool described;
    char mode[16];
    char program[256];
};

static struct pa_writer *create(void)
{
    struct pprof_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->base.ops = &pa_pprof_writer_ops;
    if (!pa_pprof_init(&w->profile)) {
        pa_pprof_free(&w->profile);
        free(w);
        return NULL;
    }
    return &w->base;
}

static enum pa_status add(struct pa_writer *writer, const struct pa_stack *stack, struct pa_error *err)
{
    return pa_pprof_add(&((struct pprof_writer *)writer)->profile, stack, err);
}

static void describe(struct pa_writer *writer, const struct pa_recording_info *info)
{
    struct pprof_writer *w = (struct pprof_writer *)writer;
    w->info = *info;
    snprintf(w->mode, sizeof w->mode, "%s", info->mode ? info->mode : "wall");
    w->info.mode = w->mode;
    if (info->program) {
        snprintf(w->program, sizeof w->program, "%s", info->program);
        w->info.program = w->program;
    }
    w->described = true;
}

static enum pa_status gzip_to(FILE *out, const struct pa_pb_buf *raw, struct pa_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return pa_fail(err, PA_E_NOMEM, "out of memory compressing the pprof profile");
    unsigned char chunk[65536];
    z.next_in = raw->data;
    z.avail_in = (uInt)raw->len; /* a profile is far below 4 GiB */
    int rc;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = deflate(&z, Z_FINISH);
        size_t n = sizeof chunk - z.avail_out;
        if (n > 0 && fwrite(chunk, 1, n, out) != n)
            break;
    } while (rc == Z_OK || rc == Z_BUF_ERROR);
    deflateEnd(&z);
    if (rc != Z_STREAM_END || fflush(out) != 0 || ferror(out))
        return pa_fail(err, PA_E_OUTPUT, "cannot write the pprof profile: %s",
                       rc == Z_STREAM_END || rc == Z_OK ? strerror(errno) : "zlib failed");
    return PA_OK;
}

static enum pa_status write_out(struct pa_writer *writer, FILE *out, struct pa_error *err)
{
    struct pprof_writer *w = (struct pprof_writer *)writer;
    struct pa_pb_buf raw;
    pa_pb_buf_init(&raw);
    enum pa_status st = pa_pprof_encode(&w->profile, w->described ? &w->info : NULL, &raw, err);
    if (st == PA_OK && raw.len > UINT32_MAX)
        st = pa_fail(err, PA_E_OUTPUT, "the pprof profile is larger than 4 GiB");
    if (st == PA_OK)
        st = gzip_to(out, &raw, err);
    pa_pb_buf_free(&raw);
    return st;
}

static void destroy(struct pa_writer *writer)
{
    if (writer == NULL)
        return;
    pa_pprof_free(&((struct pprof_writer *)writer)->profile);
    free(writer);
}

const struct pa_writer_ops pa_pprof_writer_ops = {
    .name = "pprof",
    .create = create,
    .add = add,
    .write = write_out,
    .destroy = destroy,
    .describe = describe,
};

/* Naming and atomically writing output files. */
#include "cli/output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool pa_output_expand(const char *template_path, pid_t pid, time_t when, char *out, size_t size)
{
    size_t used = 0;
    for (const char *p = template_path; *p; p++) {
        char piece[256];
        if (*p != '%') {
            piece[0] = *p;
            piece[1] = '\0';
        } else {
            p++;
            struct tm tm;
            switch (*p) {
            case 'p':
                snprintf(piece, sizeof piece, "%d", (int)pid);
                break;
            case 't':
                gmtime_r(&when, &tm);
                strftime(piece, sizeof piece, "%Y%m%dT%H%M%SZ", &tm);
                break;
            case 'h':
                if (gethostname(piece, sizeof piece) != 0)
                    snprintf(piece, sizeof piece, "localhost");
                piece[sizeof piece - 1] = '\0';
                break;
            case '%':
                snprintf(piece, sizeof piece, "%%");
                break;
            default:
                return false;
            }
        }
        size_t len = strlen(piece);
        if (used + len + 1 > size)
            return false;
        memcpy(out + used, piece, len + 1);
        used += len;
    }
    if (used == 0)
        return false;
    out[used] = '\0';
    return true;
}

bool pa_output_per_process(const char *template_path)
{
    for (const char *p = template_path; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == 'p')
            return true;
        if (p[1] != '\0')
            p++;
    }
    return false;
}

static enum pa_status output_error(const char *path, const char *what, int error, struct pa_error *err)
{
    return pa_fail(err, PA_E_OUTPUT, "cannot write %s: %s%s%s", path, what, error ? ": " : "",
                   error ? strerror(error) : "");
}

/* The open outputs, newest first. A handler may walk the list at any moment: a file
 * is linked only once complete and unlinked (one pointer store) before it is freed. */
static struct pa_output_file *volatile open_files;

static void link_file(struct pa_output_file *f)
{
    f->next = open_files;
    open_files = f;
}

static void unlink_file(struct pa_output_file *f)
{
    if (open_files == f) {
        open_files = f->next;
        return;
    }
    for (struct pa_output_file *p = open_files; p; p = p->next)
        if (p->next == f) {
            p->next = f->next;
            return;
        }
}

void pa_output_unlink_all(void)
{
    for (struct pa_output_file *f = open_files; f; f = f->next)
        if (f->temp[0])
            unlink(f->temp);
}

void pa_output_discard(struct pa_output_file *f)
{
    if (f == NULL)
        return;
    unlink_file(f);
    if (f->temp[0])
        unlink(f->temp);
    if (f->fd >= 0)
        close(f->fd);
    free(f);
}

/* What the first write will need: space for one block. Creating a file succeeds on a
 * full disk; reserving it does not. A file system without fallocate (some network
 * ones) is found full only at the write, which still fails cleanly. */
#define RESERVED_BYTES 4096

/* NAME is a device, a pipe or a socket (/dev/null, /dev/stdout, a shell's >(...)):
 * written in place. Renaming a temporary file over it would replace the device node
 * itself (as root, /dev/null became a regular file). O_NONBLOCK makes a pipe without
 * a reader fail now (ENXIO) instead of hanging before the first sample. */
static enum pa_status open_in_place(const char *path, struct pa_output_file **out, struct pa_error *err)
{
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int error = errno;
        return output_error(path, error == ENXIO ? "a pipe with no reader" : "cannot open", error == ENXIO ? 0 : error,
                            err);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int error = errno;
        close(fd);
        return output_error(path, "cannot open", error, err);
    }
    struct pa_output_file *f = calloc(1, sizeof *f);
    if (f == NULL) {
        close(fd);
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    }
    f->fd = fd;
    f->in_place = true;
    snprintf(f->path, sizeof f->path, "%s", path);
    link_file(f);
    *out = f;
    return PA_OK;
}

enum pa_status pa_output_open(const char *path, struct pa_output_file **out, struct pa_error *err)
{
    *out = NULL;
    struct stat target;
    if (stat(path, &target) == 0) {
        if (S_ISDIR(target.st_mode))
            return output_error(path, "a directory", 0, err);
        if (!S_ISREG(target.st_mode))
            return open_in_place(path, out, err);
    }
    char dir_buf[PATH_MAX], base_buf[PATH_MAX];
    snprintf(dir_buf, sizeof dir_buf, "%s", path);
    snprintf(base_buf, sizeof base_buf, "%s", path);
    const char *dir = dirname(dir_buf), *base = basename(base_buf);
    struct stat st;
    if (stat(dir, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
        return output_error(path, "the directory does not exist", 0, err);
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return output_error(path, "not a directory", 0, err);
    struct pa_output_file *f = calloc(1, sizeof *f);
    if (f == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    f->fd = -1;
    snprintf(f->path, sizeof f->path, "%s", path);
    char temp[sizeof f->temp];
    if (strlen(path) >= sizeof f->path ||
        snprintf(temp, sizeof temp, "%s/.%s.XXXXXX", dir, base) >= (int)sizeof temp) {
        free(f);
        return output_error(path, "the name is too long", 0, err);
    }
    f->fd = mkstemp(temp);
    if (f->fd < 0) {
        int error = errno;
        free(f);
        return output_error(path, "cannot create a temporary file", error, err);
    }
    memcpy(f->temp, temp, sizeof temp);
    link_file(f);
    if (fallocate(f->fd, FALLOC_FL_KEEP_SIZE, 0, RESERVED_BYTES) != 0 && errno != EOPNOTSUPP && errno != ENOSYS) {
        int error = errno;
        pa_output_discard(f);
        return output_error(path, "cannot reserve space", error, err);
    }
    *out = f;
    return PA_OK;
}

enum pa_status pa_output_commit(struct pa_output_file *f, const struct pa_writer_ops *ops, struct pa_writer *writer,
                                struct pa_error *err)
{
    FILE *out = fdopen(f->fd, "w");
    if (out == NULL) {
        int error = errno;
        char path[sizeof f->path];
        memcpy(path, f->path, sizeof path);
        pa_output_discard(f);
        return output_error(path, "fdopen", error, err);
    }
    struct pa_error write_err = {0};
    enum pa_status status = ops->write(writer, out, &write_err);
    int error = 0;
    /* A device or a pipe has nothing to sync (fsync fails with EINVAL on /dev/null). */
    if (status == PA_OK && (fflush(out) != 0 || (!f->in_place && fsync(f->fd) != 0) || ferror(out)))
        error = errno ? errno : EIO;
    if (fclose(out) != 0 && error == 0 && status == PA_OK)
        error = errno ? errno : EIO;
    f->fd = -1;
    /* mkstemp makes the file 0600; a profile is as readable as any file the user writes. */
    mode_t mask = umask(0);
    umask(mask);
    if (status == PA_OK && error == 0 && !f->in_place && chmod(f->temp, 0666 & ~mask) != 0)
        error = errno;
    if (status == PA_OK && error == 0 && !f->in_place && rename(f->temp, f->path) != 0)
        error = errno;
    if (status == PA_OK && error == 0)
        f->temp[0] = '\0'; /* renamed: nothing to remove */
    char path[sizeof f->path];
    memcpy(path, f->path, sizeof path);
    pa_output_discard(f);
    if (status != PA_OK)
        return output_error(path, write_err.message, 0, err);
    if (error != 0)
        return output_error(path, "writing failed", error, err);
    return PA_OK;
}

enum pa_status pa_output_write_atomic(const char *path, const struct pa_writer_ops *ops, struct pa_writer *writer,
                                      struct pa_error *err)
{
    struct pa_output_file *f;
    enum pa_status status = pa_output_open(path, &f, err);
    return status == PA_OK ? pa_output_commit(f, ops, writer, err) : status;
}

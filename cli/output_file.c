/* Naming and atomically writing output files. */
#include "cli/output_file.h"

#include <errno.h>
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

enum pa_status pa_output_check_dir(const char *path, struct pa_error *err)
{
    char dir_buf[PATH_MAX];
    snprintf(dir_buf, sizeof dir_buf, "%s", path);
    const char *dir = dirname(dir_buf);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return output_error(path, "the directory does not exist", 0, err);
    if (access(dir, W_OK | X_OK) != 0)
        return output_error(path, "the directory is not writable", errno, err);
    return PA_OK;
}

enum pa_status pa_output_write_atomic(const char *path, const struct pa_writer_ops *ops, struct pa_writer *writer,
                                      struct pa_output_temp *temp, struct pa_error *err)
{
    char dir_buf[PATH_MAX], base_buf[PATH_MAX];
    snprintf(dir_buf, sizeof dir_buf, "%s", path);
    snprintf(base_buf, sizeof base_buf, "%s", path);
    const char *dir = dirname(dir_buf), *base = basename(base_buf);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return output_error(path, "the directory does not exist", 0, err);
    if (snprintf(temp->path, sizeof temp->path, "%s/.%s.XXXXXX", dir, base) >= (int)sizeof temp->path)
        return output_error(path, "the name is too long", 0, err);
    int fd = mkstemp(temp->path);
    if (fd < 0) {
        int error = errno;
        temp->path[0] = '\0';
        return output_error(path, "cannot create a temporary file", error, err);
    }
    FILE *out = fdopen(fd, "w");
    if (out == NULL) {
        int error = errno;
        close(fd);
        unlink(temp->path);
        temp->path[0] = '\0';
        return output_error(path, "fdopen", error, err);
    }
    struct pa_error write_err = {0};
    enum pa_status status = ops->write(writer, out, &write_err);
    int error = 0;
    if (status == PA_OK && (fflush(out) != 0 || fsync(fd) != 0 || ferror(out)))
        error = errno ? errno : EIO;
    if (fclose(out) != 0 && error == 0 && status == PA_OK)
        error = errno ? errno : EIO;
    /* mkstemp makes the file 0600; a profile is as readable as any file the user writes. */
    mode_t mask = umask(0);
    umask(mask);
    if (status == PA_OK && error == 0 && chmod(temp->path, 0666 & ~mask) != 0)
        error = errno;
    if (status == PA_OK && error == 0 && rename(temp->path, path) != 0)
        error = errno;
    if (status != PA_OK || error != 0) {
        unlink(temp->path);
        temp->path[0] = '\0';
        if (status != PA_OK)
            return output_error(path, write_err.message, 0, err);
        return output_error(path, "writing failed", error, err);
    }
    temp->path[0] = '\0';
    return PA_OK;
}

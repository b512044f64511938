/* Shortening function and file names for top's columns. */
#include "cli/top/top_names.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Whether s starts with "lib/pythonX.Y/" (or lib64/): the standard library's directory. */
static size_t stdlib_prefix(const char *s)
{
    const char *p = s;
    if (strncmp(p, "lib/python", 10) == 0)
        p += 10;
    else if (strncmp(p, "lib64/python", 12) == 0)
        p += 12;
    else
        return 0;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p) || *p == '.')
        p++;
    if (*p == 't') /* free-threaded builds: lib/python3.13t/ */
        p++;
    return *p == '/' ? (size_t)(p + 1 - s) : 0;
}

const char *top_relative_path(const char *path, const char *const *dirs, size_t ndirs)
{
    static const char *const package_dirs[] = {"/site-packages/", "/dist-packages/"};
    const char *best = path;
    for (size_t i = 0; i < ndirs; i++) {
        size_t len = strlen(dirs[i]);
        if (len > 1 && strncmp(path, dirs[i], len) == 0 && path[len] == '/' && path[len + 1] != '\0')
            return path + len + 1;
    }
    for (size_t i = 0; i < sizeof package_dirs / sizeof package_dirs[0]; i++) {
        const char *hit = NULL;
        for (const char *p = strstr(path, package_dirs[i]); p; p = strstr(p + 1, package_dirs[i]))
            hit = p + strlen(package_dirs[i]);
        if (hit && hit > best)
            best = hit;
    }
    if (best != path)
        return best;
    for (const char *p = path; *p; p++) {
        if (*p != '/')
            continue;
        size_t n = stdlib_prefix(p + 1);
        if (n && p[1 + n] != '\0')
            best = p + 1 + n;
    }
    return best;
}

void top_fit(const char *text, size_t width, char *out, size_t size)
{
    if (size == 0)
        return;
    size_t len = strlen(text);
    if (width >= size)
        width = size - 1;
    if (len <= width) {
        snprintf(out, size, "%s", text);
        return;
    }
    if (width <= 3) {
        snprintf(out, size, "%.*s", (int)width, text + len - width);
        return;
    }
    size_t keep = width - 3, head = keep / 3, tail = keep - head;
    snprintf(out, size, "%.*s...%s", (int)head, text, text + len - tail);
}

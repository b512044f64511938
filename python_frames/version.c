/* Rungs of the version ladder that do not read the target's memory. */
#include "python_frames/version.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int py_version_small_int_max(int minor)
{
    /* _PY_NSMALLPOSINTS: 257 (-5..256) since 3.0, 1025 (-5..1024) from 3.15. */
    return minor >= 15 ? 1024 : 256;
}

bool py_version_from_hex(uint32_t hex, struct py_version *out)
{
    out->major = (int)((hex >> 24) & 0xff);
    out->minor = (int)((hex >> 16) & 0xff);
    out->micro = (int)((hex >> 8) & 0xff);
    return out->major >= 2 && out->major <= 3 && out->minor < 100;
}

bool py_version_from_filename(const char *path, struct py_version *out)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *at = strncmp(base, "libpython", 9) == 0 ? base + 9
                   : strncmp(base, "python", 6) == 0    ? base + 6
                                                        : NULL;
    int major, minor, used = 0;
    if (at == NULL || sscanf(at, "%d.%d%n", &major, &minor, &used) != 2 || used == 0)
        return false;
    /* After the version only an ABI flag ("m", "d", "t") or ".so..." may follow. */
    const char *rest = at + used;
    while (*rest == 'm' || *rest == 'd' || *rest == 'u' || *rest == 't')
        rest++;
    if (*rest != '\0' && strncmp(rest, ".so", 3) != 0)
        return false;
    out->major = major;
    out->minor = minor;
    out->micro = -1;
    return major >= 2 && major <= 3;
}

#define VERSION_LITERAL_MAX 16

/* A NUL-delimited string exactly of the form "3.X.Y" with an optional release tag
 * ("a1", "b2", "rc1", "+"): the shape of PY_VERSION. */
static bool parse_version_literal(const char *s, size_t len, struct py_version *out)
{
    int major, minor, micro, used = 0;
    if (len < 5 || len > VERSION_LITERAL_MAX || (s[0] != '2' && s[0] != '3') ||
        sscanf(s, "%d.%d.%d%n", &major, &minor, &micro, &used) != 3)
        return false;
    for (size_t i = (size_t)used; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '+')
            return false;
    out->major = major;
    out->minor = minor;
    out->micro = micro;
    return true;
}

struct rodata_search {
    struct py_version found;
    bool ok;
};

/* PY_VERSION is often not a string of its own: the linker merges it into the tail
 * of a longer literal ending the same way ("/root/.pyenv/versions/3.9.18"), so a
 * match may start after any character that cannot be part of a version. */
static bool search_section(const char *data, size_t size, void *user)
{
    struct rodata_search *search = user;
    for (size_t i = 1; i + 5 < size; i++) {
        char before = data[i - 1];
        if ((data[i] != '2' && data[i] != '3') || data[i + 1] != '.' || before == '.' ||
            (before >= '0' && before <= '9'))
            continue;
        /* Measured only as far as a literal can reach: a section full of "x3." made
         * this quadratic (tests/unit/test_elf_image.c). */
        size_t reach = size - i < VERSION_LITERAL_MAX + 1 ? size - i : VERSION_LITERAL_MAX + 1;
        size_t len = strnlen(data + i, reach);
        if (len < reach && parse_version_literal(data + i, len, &search->found)) {
            search->ok = true;
            return true;
        }
    }
    return false;
}

bool py_version_from_rodata(const struct pa_elf_image *image, struct py_version *out)
{
    struct rodata_search search = {.ok = false};
    pa_elf_each_rodata(image, search_section, &search);
    if (search.ok)
        *out = search.found;
    return search.ok;
}

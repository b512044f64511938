/* Parsing /proc/PID/maps. */
#include "attach/maps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum pa_status add_line(struct pa_maps *maps, size_t *capacity, const char *line,
                               struct pa_error *err)
{
    unsigned long long start, end, offset, inode = 0;
    unsigned major = 0, minor = 0;
    char perms[5] = "";
    int path_at = 0;
    if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &offset, &major, &minor, &inode,
               &path_at) < 4)
        return PA_OK; /* not a mapping line; ignore */
    if (maps->count == *capacity) {
        size_t n = *capacity ? *capacity * 2 : 64;
        struct pa_mapping *items = realloc(maps->items, n * sizeof *items);
        if (items == NULL)
            return pa_fail(err, PA_E_NOMEM, "out of memory reading maps");
        maps->items = items;
        *capacity = n;
    }
    const char *path = path_at > 0 ? line + path_at : "";
    size_t len = strcspn(path, "\n");
    struct pa_mapping *m = &maps->items[maps->count];
    m->path = strndup(path, len);
    if (m->path == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory reading maps");
    m->start = start;
    m->end = end;
    m->offset = offset;
    m->device = (uint64_t)major << 32 | minor;
    m->inode = inode;
    memcpy(m->perms, perms, sizeof m->perms);
    maps->count++;
    return PA_OK;
}

enum pa_status pa_maps_parse(const char *text, struct pa_maps *maps, struct pa_error *err)
{
    size_t capacity = 0;
    maps->items = NULL;
    maps->count = 0;
    for (const char *line = text; line && *line;) {
        enum pa_status status = add_line(maps, &capacity, line, err);
        if (status != PA_OK) {
            pa_maps_free(maps);
            return status;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return PA_OK;
}

enum pa_status pa_maps_read(pid_t pid, struct pa_maps *maps, struct pa_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT)
            return pa_fail(err, PA_E_NO_PROCESS, "no process with PID %d", (int)pid);
        return pa_fail(err, errno == EACCES ? PA_E_PERMISSION : PA_E_READ, "cannot read %s: %s",
                       path, strerror(errno));
    }
    size_t capacity = 0;
    char *line = NULL;
    size_t line_size = 0;
    enum pa_status status = PA_OK;
    maps->items = NULL;
    maps->count = 0;
    while (status == PA_OK && getline(&line, &line_size, f) > 0)
        status = add_line(maps, &capacity, line, err);
    free(line);
    fclose(f);
    if (status != PA_OK)
        pa_maps_free(maps);
    else if (maps->count == 0)
        status = pa_fail(err, PA_E_NO_PROCESS, "PID %d has no memory mappings (exited or a kernel thread)",
                         (int)pid);
    return status;
}

void pa_maps_free(struct pa_maps *maps)
{
    for (size_t i = 0; i < maps->count; i++)
        free(maps->items[i].path);
    free(maps->items);
    maps->items = NULL;
    maps->count = 0;
}

const struct pa_mapping *pa_maps_find(const struct pa_maps *maps, uint64_t addr)
{
    for (size_t i = 0; i < maps->count; i++)
        if (addr >= maps->items[i].start && addr < maps->items[i].end)
            return &maps->items[i];
    return NULL;
}

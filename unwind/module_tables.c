/* Modules from /proc/PID/maps and their in-memory unwind tables, cached per module. A
 * re-read of the maps (an IP outside every known module, or a periodic check) keeps the
 * tables of modules still loaded at the same place from the same file and notes any
 * module that went away or was replaced. */
#include "unwind/module_tables.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach/clock.h"

#define REREAD_INTERVAL 0.2 /* seconds, as symbols.c re-reports modules to libdw */

struct pa_module_tables {
    pid_t pid;
    struct pa_reader *reader;
    struct pa_module *modules;
    size_t count;
    double last_read;
    unsigned reads, generation;
    bool dropped;
};

static bool starts_module(const struct pa_mapping *m)
{
    return m->offset == 0 && (m->path[0] == '/' || strcmp(m->path, "[vdso]") == 0);
}

enum pa_status pa_modules_from_maps(const struct pa_maps *maps, struct pa_module **modules, size_t *count,
                                    struct pa_error *err)
{
    *modules = NULL;
    *count = 0;
    struct pa_module *list = calloc(maps->count ? maps->count : 1, sizeof *list);
    if (list == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory listing modules");
    size_t n = 0;
    struct pa_module *open = NULL; /* the module later mappings may extend */
    for (size_t i = 0; i < maps->count; i++) {
        const struct pa_mapping *m = &maps->items[i];
        if (starts_module(m)) {
            open = &list[n];
            *open = (struct pa_module){
                .start = m->start, .end = m->end, .path = strdup(m->path), .device = m->device, .inode = m->inode};
            if (open->path == NULL) {
                pa_modules_free(list, n);
                return pa_fail(err, PA_E_NOMEM, "out of memory listing modules");
            }
            n++;
        } else if (open != NULL && m->path[0] != '\0' && strcmp(m->path, open->path) == 0 &&
                   m->device == open->device && m->inode == open->inode) {
            open->end = m->end;
        } else if (m->path[0] != '\0') {
            open = NULL; /* another file: the open module is complete */
        }
    }
    *modules = list;
    *count = n;
    return PA_OK;
}

void pa_modules_free(struct pa_module *modules, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(modules[i].path);
    free(modules);
}

struct pa_module *pa_modules_find(struct pa_module *modules, size_t count, uint64_t addr)
{
    size_t lo = 0, hi = count; /* the first module starting above addr is at hi */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (modules[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && addr < modules[lo - 1].end ? &modules[lo - 1] : NULL;
}

/* Reads the maps into a new list, carrying over what is known of unchanged modules. */
static void reread(struct pa_module_tables *t)
{
    t->last_read = pa_monotonic_seconds();
    t->reads++;
    struct pa_maps maps;
    struct pa_module *fresh;
    size_t count;
    if (pa_maps_read(t->pid, &maps, NULL) != PA_OK)
        return;
    enum pa_status status = pa_modules_from_maps(&maps, &fresh, &count, NULL);
    pa_maps_free(&maps);
    if (status != PA_OK)
        return;
    bool changed = false;
    for (size_t i = 0; i < t->count; i++) {
        const struct pa_module *old = &t->modules[i];
        struct pa_module *now = pa_modules_find(fresh, count, old->start);
        if (now != NULL && now->start == old->start && now->end == old->end && now->device == old->device &&
            now->inode == old->inode && strcmp(now->path, old->path) == 0) {
            now->looked = old->looked;
            now->has_table = old->has_table;
            now->table = old->table;
        } else {
            changed = true;
        }
    }
    if (changed) {
        t->dropped = true;
        t->generation++;
    }
    pa_modules_free(t->modules, t->count);
    t->modules = fresh;
    t->count = count;
}

enum pa_status pa_module_tables_new(pid_t pid, struct pa_reader *reader, struct pa_module_tables **out,
                                    struct pa_error *err)
{
    struct pa_module_tables *t = calloc(1, sizeof *t);
    if (t == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    t->pid = pid;
    t->reader = reader;
    reread(t);
    *out = t;
    return PA_OK;
}

void pa_module_tables_free(struct pa_module_tables *t)
{
    if (t == NULL)
        return;
    pa_modules_free(t->modules, t->count);
    free(t);
}

const struct pa_module *pa_module_tables_find(struct pa_module_tables *t, uint64_t ip)
{
    struct pa_module *m = pa_modules_find(t->modules, t->count, ip);
    if (m == NULL && pa_monotonic_seconds() - t->last_read >= REREAD_INTERVAL) {
        reread(t);
        m = pa_modules_find(t->modules, t->count, ip);
    }
    if (m != NULL && !m->looked) {
        m->has_table = pa_eh_frame_table_read(t->reader, m->start, &m->table);
        m->looked = true;
    }
    return m;
}

void pa_module_tables_check(struct pa_module_tables *t)
{
    if (pa_monotonic_seconds() - t->last_read >= PA_MODULES_CHECK_INTERVAL)
        reread(t);
}

unsigned pa_module_tables_generation(const struct pa_module_tables *t)
{
    return t->generation;
}

bool pa_module_tables_take_dropped(struct pa_module_tables *t)
{
    bool dropped = t->dropped;
    t->dropped = false;
    return dropped;
}

unsigned pa_module_tables_reads(const struct pa_module_tables *t)
{
    return t->reads;
}

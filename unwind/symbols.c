/* PC -> module, function, file:line with libdw's Dwfl: modules reported from
 * /proc/PID/maps (dwfl_linux_proc_report), ELF files opened once per module and debug
 * info found by build-id or .gnu_debuglink (dwfl_standard_find_debuginfo); libdw keeps
 * each module's symbol table, we keep each PC's answer. A PC outside every known module
 * (a library dlopen'ed since) makes us re-read the maps, at most every REREPORT_INTERVAL.
 *
 * Lines come after sampling (pa_symbolizer_line): loading a module's DWARF line tables
 * costs seconds for libpython, so it is done only for modules with sampled PCs, once,
 * and only for the PCs sampled. Each answer keeps the libdw module it came from, so
 * that the line is the one of the file that ran even if it was unloaded since: a Dwfl
 * whose modules changed (a dlclose) is retired, not ended, until the symbolizer is
 * freed, and a fresh one reports the modules of now.
 *
 * Files are opened as the target sees them, not by the name in its maps (libdw's own
 * dwfl_linux_proc_find_elf opens that name, which from the host is a different file or
 * none when the target is in a container or chroot): through /proc/PID/root, or the
 * mapping itself (pa_process_host_path). Modules keep the target's names. Debug info is
 * searched next to that host path (inside the target's root; not when it is the mapping
 * itself, /proc/PID/map_files/...), under the target's /usr/lib/debug (by build-id, or
 * by the file's path), then under ours. */
#include "unwind/symbols.h"

#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attach/clock.h"
#include "attach/process.h"

#define REREPORT_INTERVAL 0.2 /* seconds */
#define MAX_RETIRED 16 /* Dwfls kept for lines: each holds its modules' files open */

struct entry {
    uint64_t key; /* the address looked up (pc or pc - 1) */
    struct pa_native_symbol sym;
    Dwfl *dwfl;              /* the Dwfl mod is in */
    Dwfl_Module *mod;        /* where key lay when looked up; NULL if in no module (or its
                                Dwfl had to be ended: no line then) */
    bool line_looked;        /* source_file/source_line say what DWARF has */
    const char *source_file; /* NULL if unknown */
    int source_line;
};

struct module_name {
    char *path;     /* as reported */
    char *base;
    bool interpreter;
};

struct pa_symbolizer {
    pid_t pid;
    Dwfl_Callbacks callbacks; /* per target: its debuginfo path names its root */
    char *debuginfo_path;
    Dwfl *dwfl;
    Dwfl **retired;       /* Dwfls whose modules changed, kept for their answers' lines */
    size_t retired_count;
    size_t current_answers; /* answers from modules of dwfl */
    char **interpreter_paths;
    size_t path_count;
    struct entry **entries; /* every answer given, by id - 1 */
    size_t entry_count, entry_capacity;
    struct entry **slots; /* the current answers: open addressing on key */
    size_t slot_count, used;
    struct module_name *modules;
    size_t module_count, module_capacity;
    double last_report;
    unsigned reports;
};

/* libdw's find_elf: a module named by a path is opened from the host through the
 * target's root; anything else ("[vdso: PID]", read from memory) is libdw's. The
 * module's userdata is its symbolizer (set_owner). */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, char **file_name,
                    Elf **elfp)
{
    const struct pa_symbolizer *s = *userdata;
    if (s == NULL || name[0] != '/')
        return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
    char host[PATH_MAX];
    pa_process_host_path(s->pid, name, host, sizeof host);
    struct stat st;
    if (stat(host, &st) != 0 || !S_ISREG(st.st_mode))
        return -1; /* a device, or gone: never open what may block */
    int fd = open(host, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* Only libdw's own label for the file, and where debuginfo is searched by name. */
    if ((*file_name = strdup(host)) == NULL) {
        close(fd);
        return -1;
    }
    return fd;
}

static int set_owner(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
    (void)mod, (void)name, (void)start;
    *userdata = arg;
    return DWARF_CB_OK;
}

/* dwfl_report_end's callback for a module no longer reported: stop before libdw frees
 * it, since answers point to it (the Dwfl is retired instead, see report). */
static int keep_removed(Dwfl_Module *mod, void *userdata, const char *name, Dwarf_Addr start, void *arg)
{
    (void)mod, (void)userdata, (void)name, (void)start;
    *(bool *)arg = true;
    return DWARF_CB_ABORT;
}

/* Starts a new Dwfl. The current one is kept while answers point into it, up to
 * MAX_RETIRED (a target that keeps loading and unloading libraries must not exhaust our
 * file descriptors): beyond, its answers lose their lines. */
static bool retire_dwfl(struct pa_symbolizer *s)
{
    if (s->current_answers > 0 && s->retired_count < MAX_RETIRED) {
        Dwfl **bigger = realloc(s->retired, (s->retired_count + 1) * sizeof *bigger);
        if (bigger == NULL)
            return false;
        s->retired = bigger;
        s->retired[s->retired_count++] = s->dwfl;
    } else {
        for (size_t i = 0; s->current_answers > 0 && i < s->entry_count; i++)
            if (s->entries[i]->dwfl == s->dwfl)
                s->entries[i]->mod = NULL;
        dwfl_end(s->dwfl);
    }
    s->current_answers = 0;
    s->dwfl = dwfl_begin(&s->callbacks);
    return s->dwfl != NULL;
}

static void forget_answers(struct pa_symbolizer *s)
{
    memset(s->slots, 0, s->slot_count * sizeof *s->slots);
    s->used = 0;
}

static enum pa_status report(struct pa_symbolizer *s, struct pa_error *err)
{
    if (s->dwfl == NULL) /* a retirement that could not start a new one */
        return pa_fail(err, PA_E_NOMEM, "out of memory (libdw: %s)", dwfl_errmsg(-1));
    dwfl_report_begin(s->dwfl); /* modules reported again unchanged keep their cached state */
    int rc = dwfl_linux_proc_report(s->dwfl, s->pid);
    bool removed = false;
    dwfl_report_end(s->dwfl, keep_removed, &removed);
    if (removed) {
        /* A module went away (dlclose): its addresses may be another's now. The Dwfl
         * it was in is left half-updated by the abort: retired, used for lines only. */
        forget_answers(s);
        if (!retire_dwfl(s))
            return pa_fail(err, PA_E_NOMEM, "out of memory (or libdw: %s)", dwfl_errmsg(-1));
        dwfl_report_begin(s->dwfl);
        rc = dwfl_linux_proc_report(s->dwfl, s->pid);
        dwfl_report_end(s->dwfl, NULL, NULL);
    }
    dwfl_getmodules(s->dwfl, set_owner, s, 0);
    s->last_report = pa_monotonic_seconds();
    s->reports++;
    if (rc != 0)
        return pa_fail(err, PA_E_READ, "cannot list the modules of process %d: %s", (int)s->pid,
                       rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
    return PA_OK;
}

enum pa_status pa_symbolizer_new(pid_t pid, const char *const *paths, size_t path_count,
                                 struct pa_symbolizer **out, struct pa_error *err)
{
    struct pa_symbolizer *s = calloc(1, sizeof *s);
    if (s == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    s->pid = pid;
    s->slot_count = 1024;
    s->slots = calloc(s->slot_count, sizeof *s->slots);
    s->interpreter_paths = calloc(path_count ? path_count : 1, sizeof *s->interpreter_paths);
    /* libdw's default ":.debug:/usr/lib/debug" with the target's /usr/lib/debug first:
     * by build-id, or (as libdw strips leading directories of the file's host path
     * /proc/PID/root/usr/lib/...) by the file's own path under it. */
    if (asprintf(&s->debuginfo_path, ":.debug:/proc/%d/root/usr/lib/debug:/usr/lib/debug", (int)pid) < 0)
        s->debuginfo_path = NULL;
    s->callbacks = (Dwfl_Callbacks){.find_elf = find_elf,
                                    .find_debuginfo = dwfl_standard_find_debuginfo,
                                    .debuginfo_path = &s->debuginfo_path};
    s->dwfl = s->debuginfo_path ? dwfl_begin(&s->callbacks) : NULL;
    if (s->slots == NULL || s->interpreter_paths == NULL || s->dwfl == NULL) {
        pa_symbolizer_free(s);
        return pa_fail(err, PA_E_NOMEM, "out of memory (or libdw: %s)", dwfl_errmsg(-1));
    }
    for (size_t i = 0; i < path_count; i++)
        if ((s->interpreter_paths[s->path_count++] = strdup(paths[i])) == NULL) {
            pa_symbolizer_free(s);
            return pa_fail(err, PA_E_NOMEM, "out of memory");
        }
    enum pa_status status = report(s, err);
    if (status != PA_OK) {
        pa_symbolizer_free(s);
        return status;
    }
    *out = s;
    return PA_OK;
}

void pa_symbolizer_free(struct pa_symbolizer *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->entry_count; i++) {
        free((char *)s->entries[i]->sym.function);
        free((char *)s->entries[i]->source_file);
        free(s->entries[i]);
    }
    free(s->entries);
    free(s->slots);
    for (size_t i = 0; i < s->path_count; i++)
        free(s->interpreter_paths[i]);
    free(s->interpreter_paths);
    for (size_t i = 0; i < s->module_count; i++) {
        free(s->modules[i].path);
        free(s->modules[i].base);
    }
    free(s->modules);
    if (s->dwfl != NULL)
        dwfl_end(s->dwfl);
    for (size_t i = 0; i < s->retired_count; i++)
        dwfl_end(s->retired[i]);
    free(s->retired);
    free(s->debuginfo_path);
    free(s);
}

unsigned pa_symbolizer_reports(const struct pa_symbolizer *s)
{
    return s->reports;
}

static size_t slot_of(const struct pa_symbolizer *s, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (s->slot_count - 1);
    while (s->slots[i] != NULL && s->slots[i]->key != key)
        i = (i + 1) & (s->slot_count - 1);
    return i;
}

static bool grow(struct pa_symbolizer *s)
{
    struct entry **old = s->slots;
    size_t old_count = s->slot_count;
    struct entry **bigger = calloc(old_count * 2, sizeof *bigger);
    if (bigger == NULL)
        return false;
    s->slots = bigger;
    s->slot_count = old_count * 2;
    for (size_t i = 0; i < old_count; i++)
        if (old[i] != NULL)
            s->slots[slot_of(s, old[i]->key)] = old[i];
    free(old);
    return true;
}

/* The module's names, interned: the strings outlive re-reports that drop the module. */
static const struct module_name *module_name(struct pa_symbolizer *s, const char *path)
{
    for (size_t i = 0; i < s->module_count; i++)
        if (strcmp(s->modules[i].path, path) == 0)
            return &s->modules[i];
    if (s->module_count == s->module_capacity) {
        size_t n = s->module_capacity ? s->module_capacity * 2 : 32;
        struct module_name *bigger = realloc(s->modules, n * sizeof *bigger);
        if (bigger == NULL)
            return NULL;
        s->modules = bigger;
        s->module_capacity = n;
    }
    const char *slash = strrchr(path, '/');
    struct module_name *m = &s->modules[s->module_count];
    m->path = strdup(path);
    /* libdwfl reports the vDSO, read from the target's memory, as "[vdso: PID]". */
    m->base = strdup(strncmp(path, "[vdso", 5) == 0 ? "[vdso]" : slash ? slash + 1 : path);
    m->interpreter = false;
    for (size_t i = 0; i < s->path_count; i++)
        m->interpreter |= strcmp(s->interpreter_paths[i], path) == 0;
    if (m->path == NULL || m->base == NULL) {
        free(m->path);
        free(m->base);
        return NULL;
    }
    s->module_count++;
    return m;
}

/* The start of the FDE in .eh_frame that covers addr; 0 if none does. */
static uint64_t fde_start(Dwfl_Module *mod, uint64_t addr)
{
    Dwarf_Addr bias = 0;
    Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
    Dwarf_Frame *frame = NULL;
    if (cfi == NULL || dwarf_cfi_addrframe(cfi, addr - bias, &frame) != 0)
        return 0;
    Dwarf_Addr start = 0, end = 0;
    dwarf_frame_info(frame, &start, &end, NULL);
    free(frame);
    return start ? start + bias : 0;
}

static void describe(struct pa_symbolizer *s, Dwfl_Module *mod, uint64_t addr, struct pa_native_symbol *out)
{
    Dwarf_Addr low = 0;
    const char *path = dwfl_module_info(mod, NULL, &low, NULL, NULL, NULL, NULL, NULL);
    const struct module_name *m = path ? module_name(s, path) : NULL;
    out->module = m ? m->base : "~";
    out->interpreter = m ? m->interpreter : false;
    GElf_Off offset = 0;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(mod, addr, &offset, &sym, NULL, NULL, NULL);
    /* A stripped file's .dynsym covers only exported functions: an address past the end
     * of the nearest one belongs to some static function we cannot name. */
    if (name != NULL && *name != '\0' && (sym.st_size == 0 || offset < sym.st_size)) {
        /* .dynsym names may carry their version ("__libc_start_main@@GLIBC_2.34"). */
        out->function = strndup(name, strcspn(name, "@"));
        out->start = addr - offset;
    } else {
        /* Named by where the function starts, so all its PCs are one function: the
         * vDSO's static helpers, a stripped python's static functions. */
        out->start = fde_start(mod, addr);
        char hex[32];
        snprintf(hex, sizeof hex, "0x%" PRIx64, (uint64_t)((out->start ? out->start : addr) - low));
        out->function = strdup(hex);
    }
}

void pa_symbolizer_invalidate(struct pa_symbolizer *s)
{
    forget_answers(s);
    if (retire_dwfl(s))
        report(s, NULL);
}

bool pa_symbolizer_line(struct pa_symbolizer *s, uint32_t id, const char **file, int *line)
{
    if (id == 0 || id > s->entry_count)
        return false;
    struct entry *e = s->entries[id - 1];
    if (!e->line_looked && e->mod != NULL) {
        e->line_looked = true;
        /* The first lookup in a module loads its DWARF (libdw keeps it per module); one
         * without debug info fails then and at once after. */
        Dwfl_Line *l = dwfl_module_getsrc(e->mod, e->key);
        int lineno = 0;
        const char *name = l ? dwfl_lineinfo(l, NULL, &lineno, NULL, NULL, NULL) : NULL;
        if (name != NULL && lineno > 0 && (e->source_file = strdup(name)) != NULL)
            e->source_line = lineno;
    }
    if (e->source_file == NULL)
        return false;
    *file = e->source_file;
    *line = e->source_line;
    return true;
}

/* Numbers the answer and keeps it for the symbolizer's life (frames point to its strings). */
static bool keep(struct pa_symbolizer *s, struct entry *e)
{
    if (s->entry_count == s->entry_capacity) {
        size_t n = s->entry_capacity ? s->entry_capacity * 2 : 256;
        struct entry **bigger = n <= UINT32_MAX ? realloc(s->entries, n * sizeof *bigger) : NULL;
        if (bigger == NULL)
            return false;
        s->entries = bigger;
        s->entry_capacity = n;
    }
    s->entries[s->entry_count++] = e;
    e->sym.id = (uint32_t)s->entry_count;
    s->current_answers += e->mod != NULL;
    return true;
}

const struct pa_native_symbol *pa_symbolize(struct pa_symbolizer *s, uint64_t pc, bool activation)
{
    static const struct pa_native_symbol unknown = {.module = "~", .function = "?"};
    uint64_t key = activation || pc == 0 ? pc : pc - 1; /* inside the call instruction */
    size_t i = slot_of(s, key);
    if (s->slots[i] != NULL)
        return &s->slots[i]->sym;

    Dwfl_Module *mod = s->dwfl ? dwfl_addrmodule(s->dwfl, key) : NULL;
    bool fresh = false;
    if (mod == NULL && s->dwfl != NULL && pa_monotonic_seconds() - s->last_report >= REREPORT_INTERVAL) {
        fresh = report(s, NULL) == PA_OK; /* a library loaded since we last looked? */
        mod = s->dwfl ? dwfl_addrmodule(s->dwfl, key) : NULL;
        i = slot_of(s, key); /* the re-report may have forgotten every answer */
    }
    struct entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return &unknown;
    e->key = key;
    e->mod = mod;
    e->dwfl = s->dwfl;
    if (mod != NULL) {
        describe(s, mod, key, &e->sym);
    } else {
        char hex[32];
        snprintf(hex, sizeof hex, "0x%" PRIx64, pc);
        e->sym.module = "~";
        e->sym.function = strdup(hex);
    }
    if (e->sym.function == NULL || (mod == NULL && !fresh) || !keep(s, e)) {
        /* Not cached: the next sample may find the module after a re-read. */
        free((char *)e->sym.function);
        free(e);
        return &unknown;
    }
    if (s->used * 2 >= s->slot_count) {
        if (!grow(s))
            return &e->sym; /* answered, only not cached */
        i = slot_of(s, key);
    }
    s->slots[i] = e;
    s->used++;
    return &e->sym;
}

/* The target's loaded modules, from /proc/PID/maps, each with its unwind table read
 * lazily from the target's memory (eh_frame_table.h): what find_proc_info needs for an IP. */
#ifndef PYATTACH_MODULE_TABLES_H
#define PYATTACH_MODULE_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/error.h"
#include "attach/maps.h"
#include "attach/memory.h"
#include "unwind/eh_frame_table.h"

struct pa_module {
    uint64_t start, end; /* from its mapping at file offset 0 (the ELF header) to the end of
                            the last mapping of the same file after it */
    char *path;          /* as the target's maps name it; "[vdso]" */
    uint64_t device, inode; /* of its mapping at file offset 0: a file dlopen'ed where
                               another was unloaded has the same start, maybe the same path,
                               never the same (device, inode) while both exist */
    bool looked;         /* the table was looked for (has_table says whether found) */
    bool has_table;
    struct pa_eh_frame_table table;
};

/* The modules of a parsed maps, by address: each mapping at file offset 0 of a file
 * (or the [vdso]) starts one; later mappings of the same file extend it, anonymous ones
 * (.bss) in between are skipped. *modules is malloc'd; free with pa_modules_free. */
enum pa_status pa_modules_from_maps(const struct pa_maps *maps, struct pa_module **modules, size_t *count,
                                    struct pa_error *err);
void pa_modules_free(struct pa_module *modules, size_t count);

/* The module holding addr in a list sorted by start, or NULL. */
struct pa_module *pa_modules_find(struct pa_module *modules, size_t count, uint64_t addr);

struct pa_module_tables;

/* Reads the maps once now; never fails for an unreadable maps (the list stays empty
 * and is read again on the first lookup). */
enum pa_status pa_module_tables_new(pid_t pid, struct pa_reader *reader, struct pa_module_tables **out,
                                    struct pa_error *err);
void pa_module_tables_free(struct pa_module_tables *tables);

/* The module holding ip, its table looked for on first use. An ip in no known module
 * (a library dlopen'ed since) makes us re-read the maps, at most every 0.2 s. */
const struct pa_module *pa_module_tables_find(struct pa_module_tables *tables, uint64_t ip);

/* Re-reads the maps when the last read is PA_MODULES_CHECK_INTERVAL old: a library
 * unloaded and another loaded in its place causes no miss, only a re-read sees it.
 * Call it outside any stop window (a read of the maps costs ~0.1 ms). */
#define PA_MODULES_CHECK_INTERVAL 0.5 /* seconds */
void pa_module_tables_check(struct pa_module_tables *tables);

/* True (once) when a re-read found a known module gone, moved or replaced (dlclose,
 * another file at its place): rules cached for its IPs are stale. */
bool pa_module_tables_take_dropped(struct pa_module_tables *tables);

/* How many re-reads found a module gone, moved or replaced: what cached names and
 * unwind rules were made under stays valid while this stays the same. */
unsigned pa_module_tables_generation(const struct pa_module_tables *tables);

/* How often the maps were read (the first read included). */
unsigned pa_module_tables_reads(const struct pa_module_tables *tables);

#endif

/* Naming native PCs with libdw: the module (its file's base name) and the function (from
 * .symtab, or .dynsym when the file is stripped, or separate debug info found by
 * build-id), cached per PC while sampling; file:line where DWARF exists, looked up
 * later, only for the PCs that were sampled (pa_symbolizer_line). */
#ifndef PYATTACH_SYMBOLS_H
#define PYATTACH_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/error.h"

struct pa_native_symbol {
    const char *module;      /* base name of the mapped file ("libc.so.6"), "[vdso]"; "~" if in no known module */
    const char *function;    /* symbol name; if none covers the PC "0x1a2b", the offset in the module
                                of the function's start (from its FDE), or of the PC without one */
    uint64_t start;          /* the function's start address; 0 if unknown */
    uint32_t id;             /* this answer's number (from 1) for pa_symbolizer_line; 0 if none */
    bool interpreter;        /* the module is the interpreter's own ELF (libpython / the python binary) */
};

struct pa_symbolizer;

/* interpreter_paths: the files (as the target names them) that hold CPython itself. */
enum pa_status pa_symbolizer_new(pid_t pid, const char *const *interpreter_paths, size_t path_count,
                                 struct pa_symbolizer **out, struct pa_error *err);
void pa_symbolizer_free(struct pa_symbolizer *symbolizer);

/* The symbol of pc; activation: pc is where the frame executes now (the innermost frame,
 * or one a signal interrupted), else it is a return address and pc - 1 is looked up.
 * Never NULL; the result lives as long as the symbolizer. */
const struct pa_native_symbol *pa_symbolize(struct pa_symbolizer *symbolizer, uint64_t pc, bool activation);

/* The source file and line of the PC answered as symbol `id`, from the DWARF of the
 * module it lay in when it was sampled (even if unloaded since). A module's line tables
 * are loaded on its first lookup, once; nothing for a module without debug info. False
 * when unknown. *file lives as long as the symbolizer. */
bool pa_symbolizer_line(struct pa_symbolizer *symbolizer, uint32_t id, const char **file, int *line);

/* The target's mappings changed under known modules (module_tables.h's generation):
 * forgets every cached answer and reads the modules again. Answers given so far keep
 * their strings and their lines. */
void pa_symbolizer_invalidate(struct pa_symbolizer *symbolizer);

/* How often the module list was re-read because a PC lay outside every known module. */
unsigned pa_symbolizer_reports(const struct pa_symbolizer *symbolizer);

#endif

/* Naming native PCs with libdw: the module (its file's base name), the function (from
 * .symtab, or .dynsym when the file is stripped, or separate debug info found by
 * build-id), and file:line where DWARF exists. Results are cached per PC. */
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
    const char *source_file; /* from DWARF, or NULL */
    int source_line;         /* 0 if unknown */
    bool interpreter;        /* the module is the interpreter's own ELF (libpython / the python binary) */
};

struct pa_symbolizer;

/* interpreter_paths: the files (as the target names them) that hold CPython itself.
 * lines: also look up file:line (loads each module's DWARF: seconds for libpython, so
 * dump wants it and the sampling loop does not). */
enum pa_status pa_symbolizer_new(pid_t pid, const char *const *interpreter_paths, size_t path_count, bool lines,
                                 struct pa_symbolizer **out, struct pa_error *err);
void pa_symbolizer_free(struct pa_symbolizer *symbolizer);

/* The symbol of pc; activation: pc is where the frame executes now (the innermost frame,
 * or one a signal interrupted), else it is a return address and pc - 1 is looked up.
 * Never NULL; the result lives as long as the symbolizer. */
const struct pa_native_symbol *pa_symbolize(struct pa_symbolizer *symbolizer, uint64_t pc, bool activation);

/* How often the module list was re-read because a PC lay outside every known module. */
unsigned pa_symbolizer_reports(const struct pa_symbolizer *symbolizer);

#endif

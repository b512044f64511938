/* Remote native unwinding of one stopped thread with libunwind: return addresses only,
 * innermost first. Symbols are looked up afterwards (symbols.h), once the thread runs. */
#ifndef PYATTACH_NATIVE_STACK_H
#define PYATTACH_NATIVE_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/error.h"
#include "attach/memory.h"

#define PA_NATIVE_MAX_DEPTH 512 /* deeper native stacks are cut and marked truncated */

struct pa_native_pc {
    uint64_t pc;       /* the frame's instruction pointer (a return address unless activation) */
    uint64_t sp;       /* its stack pointer */
    uint64_t cfa;      /* its canonical frame address (the caller's SP; its own SP for the
                          outermost frame): fixed for one activation, so it tells calls apart
                          across samples where the SP of the innermost frame moves */
    bool activation;   /* the innermost frame, or one interrupted by a signal: look up pc, not pc - 1 */
};

/* One per target process: the address space (with libunwind's per-IP cache) is shared
 * by all its threads. Registers come from one PTRACE_GETREGS, memory through reader. */
struct pa_native_unwinder;

enum pa_status pa_native_unwinder_new(pid_t pid, struct pa_reader *reader, struct pa_native_unwinder **out,
                                      struct pa_error *err);
void pa_native_unwinder_free(struct pa_native_unwinder *unwinder);

/* Unwinds tid, which must be ptrace-stopped (thread_stop.h). PA_OK with *truncated set
 * when the unwind stopped early (depth cap, no unwind info). */
enum pa_status pa_native_unwind(struct pa_native_unwinder *unwinder, pid_t tid, struct pa_native_pc *out,
                                size_t max, size_t *count, bool *truncated, struct pa_error *err);

/* Forgets cached unwind info (after the target's mappings changed). */
void pa_native_unwinder_flush(struct pa_native_unwinder *unwinder);

/* Re-reads the target's maps when due (pa_module_tables_check), flushing libunwind's
 * cache if a module went away or was replaced. Returns the modules' generation
 * (pa_module_tables_generation): names cached under another one may be stale. Call it
 * while the target runs. */
unsigned pa_native_unwinder_check_modules(struct pa_native_unwinder *unwinder);

#endif

/* An attached target: the process, its memory map and a reader of its memory.
 * Nothing here stops the target; ptrace is only used by unwind/ and --blocking. */
#ifndef PYATTACH_TARGET_H
#define PYATTACH_TARGET_H

#include <stdbool.h>

#include "attach/error.h"
#include "attach/maps.h"
#include "attach/memory.h"
#include "attach/process.h"

struct pa_target {
    struct pa_process process;
    struct pa_maps maps;
    struct pa_remote_memory memory;
    struct pa_reader reader;
};

/* Opens PID: checks it exists, reads its maps and proves we may read its memory
 * (permission errors say what is needed). */
enum pa_status pa_target_open(pid_t pid, struct pa_target *target, struct pa_error *err);
void pa_target_close(struct pa_target *target);

/* Whether the process has exec'd another program since it was opened (its first
 * mapping moved or names another file): the same PID, a different address space. */
bool pa_target_exec_happened(const struct pa_target *target);

/* Re-reads /proc/PID/maps (after a dlopen, say). */
enum pa_status pa_target_refresh_maps(struct pa_target *target, struct pa_error *err);

#endif

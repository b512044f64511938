/* Opening a target: existence, maps, and a first read to prove access. */
#include "attach/target.h"

#include <stdio.h>
#include <string.h>

static int read_ptrace_scope(void)
{
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
    int scope = -1;
    if (f) {
        if (fscanf(f, "%d", &scope) != 1)
            scope = -1;
        fclose(f);
    }
    return scope;
}

static enum pa_status probe_access(struct pa_target *target, struct pa_error *err)
{
    for (size_t i = 0; i < target->maps.count; i++) {
        const struct pa_mapping *map = &target->maps.items[i];
        if (map->perms[0] != 'r')
            continue;
        unsigned char byte;
        enum pa_status status = pa_read(&target->reader, map->start, &byte, 1, err);
        if (status == PA_E_PERMISSION) {
            int scope = read_ptrace_scope();
            char scope_note[64] = "";
            if (scope >= 0)
                snprintf(scope_note, sizeof scope_note, ", kernel.yama.ptrace_scope=%d", scope);
            return pa_fail(err, PA_E_PERMISSION,
                           "permission denied reading PID %d: run as root or with CAP_SYS_PTRACE "
                           "(same user needs ptrace_scope 0%s; in a container add --cap-add SYS_PTRACE)",
                           (int)target->process.pid, scope_note);
        }
        if (status != PA_E_READ)
            return status;
    }
    return pa_fail(err, PA_E_NO_PROCESS, "PID %d has no readable memory", (int)target->process.pid);
}

enum pa_status pa_target_open(pid_t pid, struct pa_target *target, struct pa_error *err)
{
    memset(target, 0, sizeof *target);
    enum pa_status status = pa_process_open(pid, &target->process, err);
    if (status != PA_OK)
        return status;
    pa_remote_memory_init(&target->memory, pid, &target->reader);
    status = pa_maps_read(pid, &target->maps, err);
    if (status == PA_OK)
        status = probe_access(target, err);
    if (status != PA_OK)
        pa_target_close(target);
    return status;
}

void pa_target_close(struct pa_target *target)
{
    pa_process_close(&target->process);
    pa_maps_free(&target->maps);
    pa_remote_memory_close(&target->memory);
}

bool pa_target_exec_happened(const struct pa_target *target)
{
    struct pa_maps now;
    if (target->maps.count == 0 || pa_maps_read(target->process.pid, &now, NULL) != PA_OK)
        return false; /* gone: the liveness check says so */
    const struct pa_mapping *before = &target->maps.items[0], *after = &now.items[0];
    bool changed = before->start != after->start || strcmp(before->path, after->path) != 0;
    pa_maps_free(&now);
    return changed;
}

enum pa_status pa_target_refresh_maps(struct pa_target *target, struct pa_error *err)
{
    struct pa_maps fresh;
    enum pa_status status = pa_maps_read(target->process.pid, &fresh, err);
    if (status != PA_OK)
        return status;
    pa_maps_free(&target->maps);
    target->maps = fresh;
    return PA_OK;
}

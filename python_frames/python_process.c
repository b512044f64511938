/* Attaching to a CPython process: open the target, locate the runtime. */
#include "python_frames/python_process.h"

#include <string.h>
#include <time.h>

enum pa_status py_process_attach(pid_t pid, struct py_process *p, struct pa_error *err)
{
    memset(p, 0, sizeof *p);
    enum pa_status status = pa_target_open(pid, &p->target, err);
    if (status != PA_OK)
        return status;
    status = py_runtime_locate(&p->target, &p->runtime, err);
    if (status == PA_OK) {
        p->codes = py_code_cache_new();
        if (p->codes == NULL || !pa_read_cache_init(&p->cache, &p->target.reader))
            status = pa_fail(err, PA_E_NOMEM, "out of memory");
    }
    if (status != PA_OK) {
        py_code_cache_free(p->codes);
        pa_target_close(&p->target);
        return status;
    }
    p->walker.runtime = &p->runtime;
    p->walker.reader = &p->cache.reader;
    p->walker.codes = p->codes;
    return PA_OK;
}

void py_process_detach(struct py_process *p)
{
    py_code_cache_free(p->codes);
    p->codes = NULL;
    pa_read_cache_free(&p->cache);
    pa_target_close(&p->target);
}

/* How long a code object read from memory is trusted without looking again. */
#define CODE_CHECK_INTERVAL_NS 100000000LL

void py_process_begin_sample(struct py_process *p)
{
    pa_read_cache_clear(&p->cache);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    long long ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
    if (ns - p->codes_checked_ns >= CODE_CHECK_INTERVAL_NS) {
        py_code_cache_new_epoch(p->codes, &p->runtime, &p->target.reader);
        p->codes_checked_ns = ns;
    }
}

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

/* A walk that failed or broke off read a stack that changed while it was read (or
 * memory freed under it): it is read once more, from fresh memory (the cache cleared:
 * its lines are fetched again in one vectored read) and from the thread's current
 * frame. Dropping such samples is not neutral: they come from code whose stack changes
 * every few microseconds (a generator feeding sqlite3's executemany, say), so that
 * code's time went missing (test_by_request_servers: /search/ 4-8 % short, with
 * ~0.5-0.9 % of a worker's samples failed). A second failure is the caller's. */
#define WALK_TRIES 2

static bool walk_failed(enum pa_status status, const struct py_stack *stack)
{
    return status == PA_E_READ || status == PA_E_CORRUPT || (status == PA_OK && py_stack_broke_off(stack));
}

enum pa_status py_process_walk_thread(struct py_process *p, struct py_thread *thread, struct py_stack *stack,
                                      struct pa_error *err)
{
    enum pa_status status = py_walk_thread(&p->walker, thread, stack, err);
    for (int tries = 1; tries < WALK_TRIES && walk_failed(status, stack); tries++) {
        pa_read_cache_clear(&p->cache);
        if (py_thread_reread_frame(&p->walker, thread, NULL) != PA_OK)
            break;
        status = py_walk_thread(&p->walker, thread, stack, err);
    }
    return status;
}

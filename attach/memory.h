/* Remote memory: every read of the target goes through pa_read(), behind a reader
 * interface so tests can substitute a synthetic address space. */
#ifndef PYATTACH_MEMORY_H
#define PYATTACH_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/error.h"

struct pa_reader;

/* Reads exactly len bytes at addr into buf, or fails with PA_E_READ (address not
 * mapped / partial read), PA_E_NO_PROCESS (target gone) or PA_E_PERMISSION. */
typedef enum pa_status (*pa_read_fn)(struct pa_reader *reader, uint64_t addr, void *buf,
                                     size_t len, struct pa_error *err);

/* Optional: reads count blocks of `size` bytes at addrs[i] into bufs[i] in one go,
 * stopping at the first that cannot be read; *done says how many were read. */
typedef enum pa_status (*pa_read_blocks_fn)(struct pa_reader *reader, const uint64_t *addrs, uint8_t *const *bufs,
                                            size_t size, size_t count, size_t *done);

struct pa_reader {
    pa_read_fn read;
    pa_read_blocks_fn read_blocks; /* NULL when the reader has no vectored form */
    void *context;      /* the implementation's own state */
    uint64_t reads;     /* counters, for the benchmark and the summary */
    uint64_t bytes;
};

static inline enum pa_status pa_read(struct pa_reader *reader, uint64_t addr, void *buf,
                                     size_t len, struct pa_error *err)
{
    reader->reads++;
    reader->bytes += len;
    return reader->read(reader, addr, buf, len, err);
}

/* Reads a pointer-sized (8-byte) value. */
enum pa_status pa_read_u64(struct pa_reader *reader, uint64_t addr, uint64_t *out,
                           struct pa_error *err);

/* The live-process reader: process_vm_readv, falling back to /proc/PID/mem when
 * the syscall is unavailable (ENOSYS / EPERM under some seccomp profiles). */
struct pa_remote_memory {
    pid_t pid;
    int mem_fd;          /* /proc/PID/mem, opened on first fallback; -1 until then */
    int use_proc_mem;    /* set once process_vm_readv proved unusable */
};

void pa_remote_memory_init(struct pa_remote_memory *mem, pid_t pid, struct pa_reader *reader);
void pa_remote_memory_close(struct pa_remote_memory *mem);

#endif

/* Reading the target's memory: process_vm_readv, or /proc/PID/mem when the syscall
 * is not available. The one place that turns errno into a pyattach status. */
#include "attach/memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

enum pa_status pa_read_u64(struct pa_reader *reader, uint64_t addr, uint64_t *out,
                           struct pa_error *err)
{
    return pa_read(reader, addr, out, sizeof *out, err);
}

static enum pa_status status_from_errno(int error, pid_t pid, uint64_t addr, size_t len,
                                        ssize_t got, struct pa_error *err)
{
    enum pa_status status;
    switch (error) {
    case ESRCH:
        status = PA_E_NO_PROCESS;
        break;
    case EPERM:
    case EACCES:
        status = PA_E_PERMISSION;
        break;
    default:
        status = PA_E_READ;
        break;
    }
    return pa_fail(err, status, "reading PID %d at 0x%llx (size %zu, got %zd): %s", (int)pid,
                   (unsigned long long)addr, len, got, error ? strerror(error) : "short read");
}

static enum pa_status read_proc_mem(struct pa_remote_memory *mem, uint64_t addr, void *buf,
                                    size_t len, struct pa_error *err)
{
    if (mem->mem_fd < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", (int)mem->pid);
        mem->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (mem->mem_fd < 0)
            return status_from_errno(errno == ENOENT ? ESRCH : errno, mem->pid, addr, len, -1, err);
    }
    ssize_t got = pread(mem->mem_fd, buf, len, (off_t)addr);
    if (got == (ssize_t)len)
        return PA_OK;
    return status_from_errno(got < 0 ? errno : 0, mem->pid, addr, len, got, err);
}

static enum pa_status read_remote(struct pa_reader *reader, uint64_t addr, void *buf, size_t len,
                                  struct pa_error *err)
{
    struct pa_remote_memory *mem = reader->context;
    if (len == 0)
        return PA_OK;
    if (mem->use_proc_mem)
        return read_proc_mem(mem, addr, buf, len, err);

    struct iovec local = {.iov_base = buf, .iov_len = len};
    struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
    ssize_t got = process_vm_readv(mem->pid, &local, 1, &remote, 1, 0);
    if (got == (ssize_t)len)
        return PA_OK;
    if (got < 0 && (errno == ENOSYS || errno == EPERM)) {
        /* Some seccomp profiles (older Docker) forbid process_vm_readv while ptrace
         * access to /proc/PID/mem is still allowed: switch for good if that works. */
        enum pa_status status = read_proc_mem(mem, addr, buf, len, err);
        if (status == PA_OK || status == PA_E_READ)
            mem->use_proc_mem = 1;
        return status;
    }
    return status_from_errno(got < 0 ? errno : 0, mem->pid, addr, len, got, err);
}

/* One process_vm_readv for many blocks (the kernel takes up to IOV_MAX, 1024, a call). */
#define BLOCKS_PER_CALL 256

static enum pa_status read_remote_blocks(struct pa_reader *reader, const uint64_t *addrs, uint8_t *const *bufs,
                                         size_t size, size_t count, size_t *done)
{
    struct pa_remote_memory *mem = reader->context;
    struct iovec local[BLOCKS_PER_CALL], remote[BLOCKS_PER_CALL];
    *done = 0;
    if (mem->use_proc_mem) {
        /* No vectored form through /proc/PID/mem: one pread a block. */
        for (; *done < count; (*done)++) {
            enum pa_status status = read_proc_mem(mem, addrs[*done], bufs[*done], size, NULL);
            if (status != PA_OK)
                return status;
        }
        return PA_OK;
    }
    while (*done < count) {
        size_t n = count - *done < BLOCKS_PER_CALL ? count - *done : BLOCKS_PER_CALL, runs = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t addr = addrs[*done + i];
            local[i] = (struct iovec){.iov_base = bufs[*done + i], .iov_len = size};
            /* Blocks that follow each other in the target are one remote range: the
             * kernel looks up the mapping and pins the pages once per range, which
             * costs more than copying a block. */
            if (runs > 0 && (uint64_t)(uintptr_t)remote[runs - 1].iov_base + remote[runs - 1].iov_len == addr)
                remote[runs - 1].iov_len += size;
            else
                remote[runs++] = (struct iovec){.iov_base = (void *)(uintptr_t)addr, .iov_len = size};
        }
        ssize_t got = process_vm_readv(mem->pid, local, n, remote, runs, 0);
        if (got < 0)
            return errno == ESRCH ? PA_E_NO_PROCESS : PA_E_READ;
        /* A block that cannot be read ends the transfer: only whole blocks count. */
        *done += (size_t)got / size;
        if ((size_t)got < n * size)
            return PA_E_READ;
    }
    return PA_OK;
}

void pa_remote_memory_init(struct pa_remote_memory *mem, pid_t pid, struct pa_reader *reader)
{
    mem->pid = pid;
    mem->mem_fd = -1;
    mem->use_proc_mem = 0;
    reader->read = read_remote;
    reader->read_blocks = read_remote_blocks;
    reader->context = mem;
    reader->reads = 0;
    reader->bytes = 0;
}

void pa_remote_memory_close(struct pa_remote_memory *mem)
{
    if (mem->mem_fd >= 0)
        close(mem->mem_fd);
    mem->mem_fd = -1;
}

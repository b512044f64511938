/* libunwind's remote unwinder with our own accessors: registers from one PTRACE_GETREGS
 * per thread instead of a PTRACE_PEEKUSER per register, memory through pa_read (page-
 * sized reads cached for the duration of one unwind, while the thread is stopped), and
 * unwind tables found in the target's memory (module_tables.h): for an IP, its module
 * from the target's maps, and that module's .eh_frame_hdr binary-search table where the
 * loader mapped it, searched with libunwind's own remote-table search. libunwind's cache
 * keeps the per-IP unwind rules across samples and threads, so a warm unwind mostly
 * reads the stack; the tables are looked for once per module.
 *
 * Why not libunwind-ptrace's _UPT_find_proc_info, which does the same from files: it
 * opens each module by the name in /proc/PID/maps (libunwind 1.6 as /proc/PID/root +
 * name), and that name is only right from the target's own mount namespace and root.
 * For a target in a container or chroot it opens the host's libc instead of the
 * container's (rules for other code: garbage addresses) or nothing (a chroot in a
 * private mount namespace shows "/var/cache/root/usr/lib/libc.so.6", which /proc/PID/
 * root + name does not reach; an extension in a bind-mounted /tmp is no file from our
 * side): the unwind stopped at the first such frame or went astray. The vDSO is no file
 * at all: stopped in clock_gettime (a thread polling time.perf_counter() is, a third of
 * the time), the unwind guessed with frame pointers and never reached the eval loop.
 * The memory is the code that runs, in every case. It is also cheaper per lookup (a
 * few page reads, ~12 us, where _UPT_find_proc_info re-read the maps and mapped the
 * file each time the IP changed module, ~40 us); either runs only on a cache miss.
 * _UPT_find_proc_info stays as the fallback for a module without a usable in-memory
 * table (no PT_GNU_EH_FRAME: .debug_frame only), and only where the target shares our
 * root (/proc/PID/root is our /), since elsewhere it may open the wrong file.
 * (Unwinding with libdw instead, which reads modules from memory where it must, would
 * have meant a second unwinder without libunwind's per-IP rule cache.)
 *
 * libunwind passes each accessor an opaque argument, ours for the cursor's own reads,
 * but _UPT_find_proc_info calls back access_mem with *its* argument (the _UPT state)
 * while searching .eh_frame_hdr. So the accessors find the unwinder being run through
 * `running`, a thread-local set only for the duration of one pa_native_unwind. */
#include "unwind/native_stack.h"

#include <libunwind-ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/user.h>

#include "unwind/module_tables.h"

/* Not declared in libunwind's public headers, but exported by libunwind-ARCH.so: it is
 * what libunwind-ptrace's own _UPT_find_proc_info calls for every module (libunwind
 * 0.99 to 1.8), so it stays as long as libunwind-ptrace works. */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
                                              unw_proc_info_t *pi, int need_unwind_info, void *arg);

#define PAGE 4096u
#define CACHED_PAGES 8
#define UNWIND_CACHE_SIZE 4096 /* libunwind's per-IP rule cache, entries */

struct page {
    uint64_t base; /* 0: empty */
    uint8_t bytes[PAGE];
};

struct pa_native_unwinder {
    pid_t pid;
    unw_addr_space_t as;
    void *upt;                  /* _UPT state for _UPT_find_proc_info (pid's maps, ELF cache) */
    struct pa_reader *reader;
    struct pa_module_tables *modules;
    bool same_root;             /* the target sees our / (so the fallback opens the right files) */
    /* per unwind: */
    pid_t tid;
    void *thread_upt;           /* only where we cannot read registers ourselves */
#if defined(__x86_64__)
    struct user_regs_struct regs;
#endif
    struct page pages[CACHED_PAGES];
    unsigned next_page;
};

static _Thread_local struct pa_native_unwinder *running;

static int read_word(struct pa_native_unwinder *u, uint64_t addr, unw_word_t *val)
{
    uint64_t base = addr & ~(uint64_t)(PAGE - 1);
    if (addr - base <= PAGE - sizeof *val) {
        for (unsigned i = 0; i < CACHED_PAGES; i++)
            if (u->pages[i].base == base && base != 0) {
                memcpy(val, u->pages[i].bytes + (addr - base), sizeof *val);
                return 0;
            }
        struct page *p = &u->pages[u->next_page++ % CACHED_PAGES];
        if (base != 0 && pa_read(u->reader, base, p->bytes, PAGE, NULL) == PA_OK) {
            p->base = base;
            memcpy(val, p->bytes + (addr - base), sizeof *val);
            return 0;
        }
        p->base = 0;
    }
    return pa_read(u->reader, addr, val, sizeof *val, NULL) == PA_OK ? 0 : -UNW_EINVAL;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
    (void)as, (void)arg;
    if (write || running == NULL)
        return -UNW_EINVAL; /* we never change the target */
    return read_word(running, addr, val);
}

#if defined(__x86_64__)
static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
    (void)as, (void)arg;
    if (running == NULL)
        return -UNW_EINVAL;
    const struct user_regs_struct *r = &running->regs;
    if (write)
        return -UNW_EREADONLYREG;
    switch (reg) {
    case UNW_X86_64_RAX: *val = r->rax; break;
    case UNW_X86_64_RDX: *val = r->rdx; break;
    case UNW_X86_64_RCX: *val = r->rcx; break;
    case UNW_X86_64_RBX: *val = r->rbx; break;
    case UNW_X86_64_RSI: *val = r->rsi; break;
    case UNW_X86_64_RDI: *val = r->rdi; break;
    case UNW_X86_64_RBP: *val = r->rbp; break;
    case UNW_X86_64_RSP: *val = r->rsp; break;
    case UNW_X86_64_R8: *val = r->r8; break;
    case UNW_X86_64_R9: *val = r->r9; break;
    case UNW_X86_64_R10: *val = r->r10; break;
    case UNW_X86_64_R11: *val = r->r11; break;
    case UNW_X86_64_R12: *val = r->r12; break;
    case UNW_X86_64_R13: *val = r->r13; break;
    case UNW_X86_64_R14: *val = r->r14; break;
    case UNW_X86_64_R15: *val = r->r15; break;
    case UNW_X86_64_RIP: *val = r->rip; break;
    default: return -UNW_EBADREG;
    }
    return 0;
}
#else
static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
    (void)arg;
    return running ? _UPT_access_reg(as, reg, val, write, running->thread_upt) : -UNW_EINVAL;
}
#endif

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
    (void)as, (void)reg, (void)val, (void)write, (void)arg;
    return -UNW_EBADREG; /* never needed to find return addresses */
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need, void *arg)
{
    struct pa_native_unwinder *u = arg;
    const struct pa_module *m = pa_module_tables_find(u->modules, ip);
    if (m != NULL && m->has_table) {
        /* Entries are (initial location, FDE address), each relative to the header. */
        unw_dyn_info_t di = {.start_ip = m->table.start,
                             .end_ip = m->table.end,
                             .format = UNW_INFO_FORMAT_REMOTE_TABLE,
                             .u.rti = {.segbase = m->table.eh_frame_hdr,
                                       .table_len = m->table.fde_count * 8 / sizeof(unw_word_t),
                                       .table_data = m->table.table}};
        return UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi, need, arg);
    }
    if (m != NULL && u->same_root)
        return _UPT_find_proc_info(as, ip, pi, need, u->upt);
    return -UNW_ENOINFO; /* anonymous memory (JIT code), or a module we cannot read */
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
    _UPT_put_unwind_info(as, pi, ((struct pa_native_unwinder *)arg)->upt);
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
    return _UPT_get_dyn_info_list_addr(as, addr, ((struct pa_native_unwinder *)arg)->upt);
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
    (void)as, (void)c, (void)arg;
    return -UNW_EINVAL; /* we only look */
}

static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len, unw_word_t *off, void *arg)
{
    (void)as, (void)addr, (void)buf, (void)len, (void)off, (void)arg;
    return -UNW_ENOINFO; /* names come from libdw afterwards */
}

static unw_accessors_t accessors = {
    .find_proc_info = find_proc_info,
    .put_unwind_info = put_unwind_info,
    .get_dyn_info_list_addr = get_dyn_info_list_addr,
    .access_mem = access_mem,
    .access_reg = access_reg,
    .access_fpreg = access_fpreg,
    .resume = resume,
    .get_proc_name = get_proc_name,
};

/* Whether the target's root directory is ours: then the paths in its maps name our files. */
static bool shares_our_root(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/root/", (int)pid);
    struct stat theirs, ours;
    return stat(path, &theirs) == 0 && stat("/", &ours) == 0 && theirs.st_dev == ours.st_dev &&
           theirs.st_ino == ours.st_ino;
}

enum pa_status pa_native_unwinder_new(pid_t pid, struct pa_reader *reader, struct pa_native_unwinder **out,
                                      struct pa_error *err)
{
    struct pa_native_unwinder *u = calloc(1, sizeof *u);
    if (u == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    u->pid = pid;
    u->reader = reader;
    u->as = unw_create_addr_space(&accessors, 0);
    u->upt = _UPT_create(pid);
    if (u->as == NULL || u->upt == NULL) {
        pa_native_unwinder_free(u);
        return pa_fail(err, PA_E_NOMEM, "cannot create a libunwind address space for process %d", (int)pid);
    }
    enum pa_status status = pa_module_tables_new(pid, reader, &u->modules, err);
    if (status != PA_OK) {
        pa_native_unwinder_free(u);
        return status;
    }
    u->same_root = shares_our_root(pid);
    /* PER_THREAD (our one sampling thread), not GLOBAL: the global cache takes a lock
     * that masks signals, two sigprocmask calls per access, most of an unwind's time. */
    unw_set_caching_policy(u->as, UNW_CACHE_PER_THREAD);
    unw_set_cache_size(u->as, UNWIND_CACHE_SIZE, 0);
    *out = u;
    return PA_OK;
}

void pa_native_unwinder_free(struct pa_native_unwinder *u)
{
    if (u == NULL)
        return;
    if (u->as != NULL)
        unw_destroy_addr_space(u->as);
    if (u->upt != NULL)
        _UPT_destroy(u->upt);
    pa_module_tables_free(u->modules);
    free(u);
}

void pa_native_unwinder_flush(struct pa_native_unwinder *u)
{
    unw_flush_cache(u->as, 0, 0);
}

unsigned pa_native_unwinder_check_modules(struct pa_native_unwinder *u)
{
    pa_module_tables_check(u->modules);
    if (pa_module_tables_take_dropped(u->modules))
        unw_flush_cache(u->as, 0, 0);
    return pa_module_tables_generation(u->modules);
}

static enum pa_status load_registers(struct pa_native_unwinder *u, pid_t tid, struct pa_error *err)
{
#if defined(__x86_64__)
    if (ptrace(PTRACE_GETREGS, tid, NULL, &u->regs) != 0)
        return pa_fail(err, PA_E_NO_PROCESS, "cannot read the registers of thread %d (gone?)", (int)tid);
#else
    u->thread_upt = _UPT_create(tid);
    if (u->thread_upt == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
#endif
    return PA_OK;
}

enum pa_status pa_native_unwind(struct pa_native_unwinder *u, pid_t tid, struct pa_native_pc *out, size_t max,
                                size_t *count, bool *truncated, struct pa_error *err)
{
    *count = 0;
    *truncated = false;
    u->tid = tid;
    for (unsigned i = 0; i < CACHED_PAGES; i++)
        u->pages[i].base = 0; /* the stack moved since the last unwind */
    if (pa_module_tables_take_dropped(u->modules))
        unw_flush_cache(u->as, 0, 0); /* a module went away: its IPs' rules may be another's now */
    enum pa_status status = load_registers(u, tid, err);
    if (status != PA_OK)
        return status;
    unw_cursor_t cursor;
    running = u;
    int rc = unw_init_remote(&cursor, u->as, u);
    bool activation = true;
    for (bool more = rc >= 0; more;) {
        if (*count == max) {
            *truncated = true;
            break;
        }
        unw_word_t ip = 0, sp = 0;
        if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        unw_get_reg(&cursor, UNW_REG_SP, &sp);
        if (*count > 0)
            out[*count - 1].cfa = sp; /* the caller's SP is the callee's CFA */
        out[(*count)++] = (struct pa_native_pc){.pc = ip, .sp = sp, .cfa = sp, .activation = activation};
        /* The frame a signal interrupted resumes at its pc; every other one at a return address. */
        activation = unw_is_signal_frame(&cursor) > 0;
        rc = unw_step(&cursor);
        if (rc < 0)
            *truncated = true; /* no unwind info, or a bad read: what we have is still right */
        more = rc > 0;
    }
    running = NULL;
    if (*count == 0 && rc < 0)
        status = pa_fail(err, PA_E_READ, "libunwind could not start unwinding thread %d: %s", (int)tid,
                         unw_strerror(rc));
#if !defined(__x86_64__)
    _UPT_destroy(u->thread_upt);
    u->thread_upt = NULL;
#endif
    return status;
}

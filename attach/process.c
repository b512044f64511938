/* /proc/PID: existence, identity, threads. */
#include "attach/process.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach/access_check.h"

/* Reads a whole small /proc file into buf (NUL-terminated); returns its length or -1. */
static ssize_t read_small_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t total = 0;
    while ((size_t)total < size - 1) {
        ssize_t n = read(fd, buf + total, size - 1 - (size_t)total);
        if (n <= 0)
            break;
        total += n;
    }
    close(fd);
    buf[total] = '\0';
    return total;
}

/* Fields of /proc/.../stat after the command name, which may itself hold ") ". */
static const char *stat_after_comm(const char *stat)
{
    const char *close_paren = strrchr(stat, ')');
    return close_paren ? close_paren + 2 : NULL;
}

bool pa_process_start_time(pid_t pid, unsigned long long *start_time)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small_file(path, buf, sizeof buf) <= 0)
        return false;
    const char *rest = stat_after_comm(buf);
    /* rest starts at field 3 (state); start time is field 22. */
    for (int field = 3; rest && field < 22; field++) {
        rest = strchr(rest, ' ');
        if (rest)
            rest++;
    }
    return rest && sscanf(rest, "%llu", start_time) == 1;
}

enum pa_status pa_process_open(pid_t pid, struct pa_process *proc, struct pa_error *err)
{
    memset(proc, 0, sizeof *proc);
    proc->pid = pid;
    proc->pidfd = -1;
    proc->dir_fd = -1;
    if (pid <= 0)
        return pa_fail(err, PA_E_USAGE, "invalid PID %d", (int)pid);
    if (!pa_process_start_time(pid, &proc->start_time))
        return pa_fail(err, PA_E_NO_PROCESS, "no process with PID %d", (int)pid);
    /* The pidfd names this process, not the number: it stays valid (and reports the
     * exit) even if the PID is reused. Its start time is checked again after opening,
     * in case the PID changed hands in between (after the access check too, so the
     * process checked is the one opened). */
    proc->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    proc->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    enum pa_status status = pa_access_check(pid, err);
    unsigned long long again;
    if (status != PA_OK || !pa_process_start_time(pid, &again) || again != proc->start_time) {
        pa_process_close(proc);
        return status != PA_OK ? status : pa_fail(err, PA_E_NO_PROCESS, "no process with PID %d", (int)pid);
    }

    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    ssize_t n = read_small_file(path, proc->command, sizeof proc->command);
    for (ssize_t i = 0; i + 1 < n; i++)
        if (proc->command[i] == '\0')
            proc->command[i] = ' ';
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t len = readlink(path, proc->exe, sizeof proc->exe - 1);
    if (len < 0) {
        int error = errno;
        pa_process_close(proc);
        if (error == ENOENT)
            return pa_fail(err, PA_E_NO_PROCESS, "PID %d is a kernel thread or has exited", (int)pid);
        return pa_fail(err, PA_E_PERMISSION,
                       "permission denied inspecting PID %d: run as root or with CAP_SYS_PTRACE "
                       "(and check kernel.yama.ptrace_scope)", (int)pid);
    }
    proc->exe[len] = '\0';
    if (n <= 0) {
        size_t copy = strnlen(proc->exe, sizeof proc->command - 1);
        memcpy(proc->command, proc->exe, copy);
        proc->command[copy] = '\0';
    }
    return PA_OK;
}

void pa_process_close(struct pa_process *proc)
{
    if (proc->pidfd >= 0)
        close(proc->pidfd);
    if (proc->dir_fd >= 0)
        close(proc->dir_fd);
    proc->pidfd = -1;
    proc->dir_fd = -1;
}

static bool running(const struct pa_process *proc)
{
    if (proc->pidfd >= 0) {
        /* Readable once the process has exited (a zombie included). */
        struct pollfd pfd = {.fd = proc->pidfd, .events = POLLIN};
        return poll(&pfd, 1, 0) == 0;
    }
    unsigned long long start_time;
    if (!pa_process_start_time(proc->pid, &start_time) || start_time != proc->start_time)
        return false;
    char state = pa_thread_state(proc->pid, proc->pid);
    return state != 'Z' && state != 'X' && state != 0; /* a zombie has no memory left to read */
}

bool pa_process_alive(const struct pa_process *proc)
{
    return running(proc) && pa_access_still_allowed(proc->pid, proc->dir_fd, NULL);
}

bool pa_process_lost_access(const struct pa_process *proc, struct pa_error *err)
{
    return running(proc) && !pa_access_still_allowed(proc->pid, proc->dir_fd, err);
}

/* /proc/PID/map_files/START-END of the first mapping of `path`, if there is one. */
static bool mapped_file_link(pid_t pid, const char *path, char *out, size_t out_size)
{
    char maps_path[64], line[PATH_MAX + 128];
    snprintf(maps_path, sizeof maps_path, "/proc/%d/maps", (int)pid);
    FILE *maps = fopen(maps_path, "re");
    bool found = false;
    while (maps != NULL && !found && fgets(line, sizeof line, maps) != NULL) {
        unsigned long start, end;
        int path_at = 0;
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &path_at) == 2 && path_at > 0 &&
            strcmp(line + path_at, path) == 0) {
            snprintf(out, out_size, "/proc/%d/map_files/%lx-%lx", (int)pid, start, end);
            found = true;
        }
    }
    if (maps != NULL)
        fclose(maps);
    return found;
}

void pa_process_host_path(pid_t pid, const char *path, char *out, size_t out_size)
{
    if (pa_access_check(pid, NULL) != PA_OK) {
        snprintf(out, out_size, "%s", "");
        return;
    }
    snprintf(out, out_size, "/proc/%d/root%s", (int)pid, path);
    /* A target chroot'ed inside its own mount namespace (a container started without
     * pivot_root): /proc/PID/maps names files from that namespace's root, not from the
     * target's root, so /proc/PID/root + path is wrong. map_files opens the mapped
     * file itself, whatever its path (needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE). */
    if (access(out, R_OK) != 0) {
        char link[96];
        if (mapped_file_link(pid, path, link, sizeof link) && access(link, R_OK) == 0)
            snprintf(out, out_size, "%s", link);
    }
}

static int compare_pids(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

static enum pa_status list_numeric_dir(const char *path, pid_t **ids, size_t *count,
                                       struct pa_error *err)
{
    DIR *dir = opendir(path);
    if (dir == NULL)
        return pa_fail(err, PA_E_NO_PROCESS, "cannot list %s: %s", path, strerror(errno));
    size_t capacity = 16, n = 0;
    pid_t *list = malloc(capacity * sizeof *list);
    struct dirent *entry;
    while (list && (entry = readdir(dir)) != NULL) {
        if (!isdigit((unsigned char)entry->d_name[0]))
            continue;
        if (n == capacity) {
            pid_t *bigger = realloc(list, 2 * capacity * sizeof *list);
            if (bigger == NULL) {
                free(list);
                list = NULL;
                break;
            }
            list = bigger;
            capacity *= 2;
        }
        list[n++] = (pid_t)atoi(entry->d_name);
    }
    closedir(dir);
    if (list == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory listing %s", path);
    qsort(list, n, sizeof *list, compare_pids);
    *ids = list;
    *count = n;
    return PA_OK;
}

enum pa_status pa_process_threads(pid_t pid, pid_t **tids, size_t *count, struct pa_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    return list_numeric_dir(path, tids, count, err);
}

char pa_thread_state(pid_t pid, pid_t tid)
{
    char path[80], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    if (read_small_file(path, buf, sizeof buf) <= 0)
        return 0;
    const char *rest = stat_after_comm(buf);
    return rest ? rest[0] : 0;
}

bool pa_thread_cpu_ns(pid_t pid, pid_t tid, unsigned long long *ns)
{
    char path[80], buf[128];
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
    return read_small_file(path, buf, sizeof buf) > 0 && sscanf(buf, "%llu", ns) == 1;
}

bool pa_thread_exists(pid_t pid, pid_t tid)
{
    char path[80];
    snprintf(path, sizeof path, "/proc/%d/task/%d", (int)pid, (int)tid);
    return access(path, F_OK) == 0;
}

/* "NSpid:\t9706\t1\n": the TID in each PID namespace from ours inwards; the last is the
 * thread's own. Without the line (kernels before 4.1) there are no namespaces to see. */
static pid_t own_tid_of(pid_t pid, pid_t tid)
{
    char path[80], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
    if (read_small_file(path, buf, sizeof buf) <= 0)
        return 0;
    char *line = strstr(buf, "\nNSpid:");
    if (line == NULL)
        return tid;
    line += strlen("\nNSpid:");
    line[strcspn(line, "\n")] = '\0'; /* strtol would skip the newline into the next line */
    long last = 0;
    char *end;
    for (long v = strtol(line, &end, 10); end != line; v = strtol(line, &end, 10)) {
        last = v;
        line = end;
    }
    return (pid_t)last;
}

pid_t pa_thread_host_tid(pid_t pid, pid_t own_tid)
{
    if (own_tid <= 0)
        return 0;
    if (pa_thread_exists(pid, own_tid) && own_tid_of(pid, own_tid) == own_tid)
        return own_tid; /* the same PID namespace as ours: the common case, one read */
    pid_t *tids = NULL, found = 0;
    size_t count = 0;
    struct pa_error err = {0};
    if (pa_process_threads(pid, &tids, &count, &err) != PA_OK)
        return 0;
    for (size_t i = 0; i < count && found == 0; i++)
        if (own_tid_of(pid, tids[i]) == own_tid)
            found = tids[i];
    free(tids);
    return found;
}

bool pa_thread_comm(pid_t pid, pid_t tid, char *out, size_t out_size)
{
    char path[80];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    ssize_t n = read_small_file(path, out, out_size);
    if (n <= 0)
        return false;
    out[strcspn(out, "\n")] = '\0';
    return true;
}

static pid_t parent_of(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small_file(path, buf, sizeof buf) <= 0)
        return 0;
    const char *rest = stat_after_comm(buf);
    int ppid = 0;
    return rest && sscanf(rest, "%*c %d", &ppid) == 1 ? (pid_t)ppid : 0;
}

enum pa_status pa_process_descendants(const pid_t *roots, size_t root_count, pid_t **descendants, size_t *count,
                                      struct pa_error *err)
{
    /* One scan of /proc for the parent of every process (the per-task children file
     * needs CONFIG_PROC_CHILDREN), then rounds that adopt children of known members
     * until nothing changes. */
    pid_t *all;
    size_t n_all, n = 0;
    enum pa_status status = list_numeric_dir("/proc", &all, &n_all, err);
    if (status != PA_OK)
        return status;
    pid_t *parents = malloc((n_all ? n_all : 1) * sizeof *parents);
    pid_t *found = malloc((n_all ? n_all : 1) * sizeof *found);
    if (parents == NULL || found == NULL) {
        free(all);
        free(parents);
        free(found);
        return pa_fail(err, PA_E_NOMEM, "out of memory listing processes");
    }
    for (size_t i = 0; i < n_all; i++)
        parents[i] = parent_of(all[i]);
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < n_all; i++) {
            if (all[i] == 0)
                continue;
            bool member = false;
            for (size_t r = 0; r < root_count && !member; r++)
                member = parents[i] == roots[r];
            for (size_t f = 0; f < n && !member; f++)
                member = parents[i] == found[f];
            if (member) {
                found[n++] = all[i];
                all[i] = 0;
                grew = true;
            }
        }
    }
    free(all);
    free(parents);
    *descendants = found;
    *count = n;
    return PA_OK;
}

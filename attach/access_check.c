/* The rule for a pyattach with privileges its user does not have (a capability, a
 * set-uid bit): the user's own unprivileged processes only. The kernel's check for
 * ptrace with real credentials (ptrace_may_access, PTRACE_MODE_REALCREDS) is the
 * model: same uid and gid throughout, dumpable, no more capabilities than the caller;
 * a caller holding CAP_SYS_PTRACE passes all of it, so pyattach applies it itself. */
#include "attach/access_check.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct pa_caller caller;
static bool caller_known;

/* Permitted and effective sets, from capget (no libcap needed). */
static bool read_capabilities(uint64_t *permitted, uint64_t *effective)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) != 0)
        return false;
    *permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
    *effective = data[0].effective | (uint64_t)data[1].effective << 32;
    return true;
}

/* Keeps CAP_SYS_PTRACE (if it was given: what lifts Yama) and drops every other
 * capability, ambient ones included; files are then accessed as the real user. */
static void give_up_the_rest(uint64_t permitted)
{
    uint64_t keep = permitted & ((uint64_t)1 << CAP_SYS_PTRACE);
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
        {.effective = (uint32_t)keep, .permitted = (uint32_t)keep, .inheritable = 0},
        {.effective = (uint32_t)(keep >> 32), .permitted = (uint32_t)(keep >> 32), .inheritable = 0},
    };
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    (void)syscall(SYS_capset, &header, data); /* lowering is always allowed */
    setfsuid(caller.uid);
    setfsgid(caller.gid);
}

const struct pa_caller *pa_access_init(void)
{
    if (caller_known)
        return &caller;
    caller_known = true;
    caller.uid = getuid();
    caller.gid = getgid();
    uint64_t permitted = 0, effective = 0;
    bool known = read_capabilities(&permitted, &effective);
    caller.capabilities = permitted | effective;
    caller.set_id = geteuid() != caller.uid || getegid() != caller.gid;
    /* Root is unaffected. Anyone else with a capability (or whose capabilities cannot
     * be read) or set-uid/set-gid rights is held to the rule. */
    caller.restricted = caller.uid != 0 && (!known || caller.capabilities != 0 || caller.set_id);
    if (caller.restricted)
        give_up_the_rest(permitted);
    return &caller;
}

bool pa_access_parse_status(const char *text, struct pa_target_creds *out)
{
    memset(out, 0, sizeof *out);
    bool uid = false, gid = false, cap = false;
    for (const char *line = text; line != NULL && *line != '\0';) {
        unsigned long long prm;
        if (strncmp(line, "Uid:", 4) == 0) {
            uid = sscanf(line + 4, "%lu %lu %lu %lu", &out->uid[0], &out->uid[1], &out->uid[2], &out->uid[3]) == 4;
        } else if (strncmp(line, "Gid:", 4) == 0) {
            gid = sscanf(line + 4, "%lu %lu %lu %lu", &out->gid[0], &out->gid[1], &out->gid[2], &out->gid[3]) == 4;
        } else if (strncmp(line, "CapPrm:", 7) == 0 && sscanf(line + 7, "%llx", &prm) == 1) {
            out->cap_permitted = prm;
            cap = true;
        }
        const char *end = strchr(line, '\n');
        line = end ? end + 1 : NULL;
    }
    return uid && gid && cap;
}

/* How the caller got its privileges, for the messages. */
static const char *privileges(const struct pa_caller *c)
{
    return c->capabilities != 0 ? "capabilities" : "set-uid/set-gid rights";
}

enum pa_status pa_access_judge(const struct pa_caller *c, pid_t pid, const struct pa_target_creds *t,
                               uid_t owner_uid, gid_t owner_gid, struct pa_error *err)
{
    const char *why = privileges(c);
    unsigned long uid = c->uid, gid = c->gid;
    if (t->uid[0] != uid)
        return pa_fail(err, PA_E_PERMISSION,
                       "PID %d belongs to uid %lu: pyattach runs with %s for uid %lu and profiles only that "
                       "user's processes (run it as root to profile this one)", (int)pid, t->uid[0], why, uid);
    if (t->uid[1] != uid || t->uid[2] != uid || t->uid[3] != uid)
        return pa_fail(err, PA_E_PERMISSION,
                       "PID %d runs with another user's rights (uids %lu/%lu/%lu/%lu: set-uid): pyattach runs "
                       "with %s for uid %lu and profiles only that user's own unprivileged processes",
                       (int)pid, t->uid[0], t->uid[1], t->uid[2], t->uid[3], why, uid);
    if (t->gid[0] != gid || t->gid[1] != gid || t->gid[2] != gid || t->gid[3] != gid)
        return pa_fail(err, PA_E_PERMISSION,
                       "PID %d runs with another group's rights (gids %lu/%lu/%lu/%lu; set-gid, or sg/newgrp): "
                       "pyattach runs with %s for uid %lu, gid %lu and profiles only that user's own "
                       "unprivileged processes", (int)pid, t->gid[0], t->gid[1], t->gid[2], t->gid[3], why,
                       uid, gid);
    if (owner_uid != c->uid || owner_gid != c->gid)
        return pa_fail(err, PA_E_PERMISSION,
                       "PID %d is not dumpable (a set-uid or set-gid program, or prctl PR_SET_DUMPABLE 0): "
                       "pyattach runs with %s for uid %lu and profiles only that user's own unprivileged "
                       "processes", (int)pid, why, uid);
    if (t->cap_permitted != 0)
        return pa_fail(err, PA_E_PERMISSION,
                       "PID %d holds capabilities (CapPrm %016llx): pyattach runs with %s for uid %lu and "
                       "profiles only that user's own unprivileged processes", (int)pid,
                       (unsigned long long)t->cap_permitted, why, uid);
    return PA_OK;
}

static bool read_status(int dir, char *buf, size_t size)
{
    int fd = openat(dir, "status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t total = 0;
    ssize_t n;
    while (total < size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
        total += (size_t)n;
    close(fd);
    buf[total] = '\0';
    return total > 0;
}

enum pa_status pa_access_check(pid_t pid, struct pa_error *err)
{
    const struct pa_caller *c = pa_access_init();
    if (!c->restricted)
        return PA_OK;
    char path[32];
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return pa_fail(err, PA_E_NO_PROCESS, "no process with PID %d", (int)pid);
    /* The owner before and after the status: a process changing hands meanwhile is refused. */
    struct stat before, after;
    char status[8192];
    struct pa_target_creds creds;
    bool read = fstatat(dir, "status", &before, 0) == 0 && read_status(dir, status, sizeof status) &&
                fstatat(dir, "status", &after, 0) == 0 && pa_access_parse_status(status, &creds);
    close(dir);
    if (!read)
        return pa_fail(err, PA_E_NO_PROCESS, "no process with PID %d", (int)pid);
    if (before.st_uid != after.st_uid || before.st_gid != after.st_gid)
        return pa_fail(err, PA_E_PERMISSION, "PID %d changed its identity while being checked", (int)pid);
    return pa_access_judge(c, pid, &creds, after.st_uid, after.st_gid, err);
}

bool pa_access_still_allowed(pid_t pid, int proc_dir_fd, struct pa_error *err)
{
    const struct pa_caller *c = pa_access_init();
    if (!c->restricted)
        return true;
    /* The owner of a file in /proc/PID is the task's effective uid and gid while it is
     * dumpable, root's otherwise, worked out again at each lookup (so fstatat, not
     * fstat of an open file). Not the directory's own: it keeps the effective ids. */
    struct stat st;
    if (proc_dir_fd >= 0 && fstatat(proc_dir_fd, "status", &st, 0) == 0 && st.st_uid == c->uid &&
        st.st_gid == c->gid)
        return true;
    pa_fail(err, PA_E_PERMISSION,
            "PID %d now runs with other rights (it ran a set-uid or set-gid program, or became non-dumpable): "
            "pyattach runs with %s for uid %lu and stopped profiling it", (int)pid, privileges(c),
            (unsigned long)c->uid);
    return false;
}

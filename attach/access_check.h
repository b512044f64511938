/* Who may be profiled when pyattach's privileges are not its user's own: run by a user
 * other than root with file or ambient capabilities (setcap cap_sys_ptrace+ep), or
 * set-uid/set-gid, it profiles only what that user could profile without
 * kernel.yama.ptrace_scope. The one place of that rule; root is unaffected. */
#ifndef PYATTACH_ACCESS_CHECK_H
#define PYATTACH_ACCESS_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/error.h"

struct pa_caller {
    bool restricted;       /* the rule applies */
    uid_t uid;             /* the real user and group: whose processes may be profiled */
    gid_t gid;
    uint64_t capabilities; /* permitted | effective when pyattach started */
    bool set_id;           /* effective uid or gid not the real one (a set-uid/set-gid copy) */
};

/* The target's identity as /proc/PID/status gives it. */
struct pa_target_creds {
    unsigned long uid[4], gid[4]; /* real, effective, saved, file system */
    uint64_t cap_permitted;       /* CapPrm */
};

/* Works out who runs pyattach (once: later calls return the same answer). When the
 * rule applies it also gives up what the rule does not need: every capability but
 * CAP_SYS_PTRACE (none is ambient any more, so a spawned command gets none), and file
 * access with the real uid and gid (setfsuid), so the files of a target, the output
 * and `view`'s input are opened with the user's own rights. main() calls it first. */
const struct pa_caller *pa_access_init(void);

/* PA_OK when the caller may profile PID, else PA_E_PERMISSION with one line naming
 * why; PA_OK at once when the rule does not apply. It reads only /proc/PID/status and
 * that file's owner (root's while the process is not dumpable). Every
 * target is opened through it (pa_process_open), discovered descendants included, and
 * so are the paths to its files (pa_process_host_path). */
enum pa_status pa_access_check(pid_t pid, struct pa_error *err);

/* The rule on what pa_access_check read: all four uids and gids the caller's real
 * ones, /proc/PID/status owned by that uid and gid (dumpable), no permitted
 * capability. Pure, for the unit tests. */
enum pa_status pa_access_judge(const struct pa_caller *caller, pid_t pid, const struct pa_target_creds *target,
                               uid_t owner_uid, gid_t owner_gid, struct pa_error *err);

/* Parses the Uid:, Gid: and CapPrm: lines of a /proc/PID/status text. */
bool pa_access_parse_status(const char *text, struct pa_target_creds *out);

/* For an admitted target, after each sample's reads (pa_process_alive): whether the
 * files of its /proc/PID directory (open as proc_dir_fd) still belong to the caller;
 * an exec of a set-uid or set-gid program, or PR_SET_DUMPABLE 0, gives them to
 * another owner. Always true when the rule does not apply. err (may be NULL) says
 * what changed. */
bool pa_access_still_allowed(pid_t pid, int proc_dir_fd, struct pa_error *err);

#endif

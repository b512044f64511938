/* Unit tests for attach/access_check.c: the rule a pyattach holding a capability
 * applies to a target for a user other than root, on /proc/PID/status texts as the
 * kernel writes them, and the parser of those texts. The rule running for real (a
 * test user, setcap, set-uid children) is tests/integration/test_capability.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attach/access_check.h"

#define USER 1001
#define GROUP 1001

static const struct pa_caller with_capability = {
    .restricted = true, .uid = USER, .gid = GROUP, .capabilities = 1u << 19};

static struct pa_target_creds own(void)
{
    return (struct pa_target_creds){.uid = {USER, USER, USER, USER}, .gid = {GROUP, GROUP, GROUP, GROUP}};
}

static enum pa_status judge(const struct pa_target_creds *t, uid_t owner_uid, gid_t owner_gid, char *message)
{
    struct pa_error err = {0};
    enum pa_status status = pa_access_judge(&with_capability, 4242, t, owner_uid, owner_gid, &err);
    strcpy(message, err.message);
    return status;
}

static void own_unprivileged_process_is_admitted(void **state)
{
    (void)state;
    char message[512];
    struct pa_target_creds t = own();
    assert_int_equal(judge(&t, USER, GROUP, message), PA_OK);
}

static void another_users_process_is_refused(void **state)
{
    (void)state;
    char message[512];
    struct pa_target_creds t = {.uid = {0, 0, 0, 0}, .gid = {0, 0, 0, 0}};
    assert_int_equal(judge(&t, 0, 0, message), PA_E_PERMISSION);
    assert_non_null(strstr(message, "PID 4242 belongs to uid 0: pyattach runs with capabilities for uid 1001"));
    assert_non_null(strstr(message, "profiles only that user's processes"));
}

/* Each of the four uids and gids on its own: a set-uid or set-gid program keeps the
 * caller's real id and changes the effective and saved ones; setfsuid the fourth. */
static void any_other_id_is_refused(void **state)
{
    (void)state;
    char message[512];
    for (int which = 1; which < 4; which++) {
        struct pa_target_creds t = own();
        t.uid[which] = 0;
        assert_int_equal(judge(&t, USER, GROUP, message), PA_E_PERMISSION);
        assert_non_null(strstr(message, "another user's rights"));
    }
    for (int which = 0; which < 4; which++) {
        struct pa_target_creds t = own();
        t.gid[which] = 42;
        assert_int_equal(judge(&t, USER, GROUP, message), PA_E_PERMISSION);
        assert_non_null(strstr(message, "another group's rights"));
    }
}

/* /proc/PID belongs to root while the process is not dumpable, even when every id in
 * its status is the user's (a set-uid program that set all its ids back, or
 * prctl(PR_SET_DUMPABLE, 0)). */
static void non_dumpable_process_is_refused(void **state)
{
    (void)state;
    char message[512];
    struct pa_target_creds t = own();
    assert_int_equal(judge(&t, 0, 0, message), PA_E_PERMISSION);
    assert_non_null(strstr(message, "not dumpable"));
    assert_int_equal(judge(&t, USER, 0, message), PA_E_PERMISSION);
}

static void process_with_capabilities_is_refused(void **state)
{
    (void)state;
    char message[512];
    struct pa_target_creds t = own();
    t.cap_permitted = 1u << 13; /* CAP_NET_RAW, as ping or a file-capability program has */
    assert_int_equal(judge(&t, USER, GROUP, message), PA_E_PERMISSION);
    assert_non_null(strstr(message, "holds capabilities (CapPrm 0000000000002000)"));
}

/* A set-uid copy of pyattach (no capability of its own) is named so in the messages. */
static void set_uid_caller_is_named(void **state)
{
    (void)state;
    struct pa_caller set_uid = {.restricted = true, .uid = USER, .gid = GROUP, .set_id = true};
    struct pa_target_creds t = {.uid = {0, 0, 0, 0}, .gid = {0, 0, 0, 0}};
    struct pa_error err = {0};
    assert_int_equal(pa_access_judge(&set_uid, 7, &t, 0, 0, &err), PA_E_PERMISSION);
    assert_non_null(strstr(err.message, "with set-uid/set-gid rights for uid 1001"));
}

static void status_text_is_parsed(void **state)
{
    (void)state;
    static const char text[] = "Name:\tpython3.12\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\n"
                               "Uid:\t1001\t0\t0\t0\nGid:\t1001\t1002\t1003\t1004\nFDSize:\t64\n"
                               "Groups:\t1001 27\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
                               "CapEff:\t000001ffffffffff\n";
    struct pa_target_creds t;
    assert_true(pa_access_parse_status(text, &t));
    assert_int_equal(t.uid[0], 1001);
    assert_int_equal(t.uid[1], 0);
    assert_int_equal(t.uid[3], 0);
    assert_int_equal(t.gid[0], 1001);
    assert_int_equal(t.gid[3], 1004);
    assert_int_equal(t.cap_permitted, 0x1ffffffffffull);
    /* A text without the lines (not a status file) is no answer. */
    assert_false(pa_access_parse_status("Name:\tx\nUid:\t1 1 1 1\n", &t));
    assert_false(pa_access_parse_status("", &t));
}

/* This process as its own target: root runs the unit tests, and root is unaffected. */
static void root_is_unaffected(void **state)
{
    (void)state;
    if (getuid() != 0)
        return;
    const struct pa_caller *c = pa_access_init();
    assert_false(c->restricted);
    assert_int_equal(pa_access_check(1, NULL), PA_OK);
    assert_true(pa_access_still_allowed(1, -1, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(own_unprivileged_process_is_admitted),
        cmocka_unit_test(another_users_process_is_refused),
        cmocka_unit_test(any_other_id_is_refused),
        cmocka_unit_test(non_dumpable_process_is_refused),
        cmocka_unit_test(process_with_capabilities_is_refused),
        cmocka_unit_test(set_uid_caller_is_named),
        cmocka_unit_test(status_text_is_parsed),
        cmocka_unit_test(root_is_unaffected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

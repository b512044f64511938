/* Saving top's profile: a writer whose content is an existing profile, so
 * pa_output_write_atomic can write it as it writes record's. */
#include "cli/top/top_save.h"

#include <string.h>
#include <time.h>

#include "cli/output_file.h"
#include "output/pstats_file.h"
#include "output/writer_impl.h"

#define SAVE_TEMPLATE "pyattach-top-%p-%t.prof"

struct profile_writer {
    struct pa_writer base;
    const struct pa_profile *profile;
};

static enum pa_status write_profile(struct pa_writer *writer, FILE *out, struct pa_error *err)
{
    return pa_pstats_write(((struct profile_writer *)writer)->profile, out, err);
}

static const struct pa_writer_ops profile_ops = {.name = "pstats", .write = write_profile};

enum pa_status top_save(const struct pa_profile *profile, pid_t pid, char *path, size_t size,
                        struct pa_error *err)
{
    if (!pa_output_expand(SAVE_TEMPLATE, pid, time(NULL), path, size))
        return pa_fail(err, PA_E_OUTPUT, "the file name does not fit");
    struct profile_writer writer = {{&profile_ops}, profile};
    return pa_output_write_atomic(path, &profile_ops, &writer.base, err);
}

enum pa_status top_save_html(struct pa_writer *tree, const struct pa_recording_info *info, const char *prof_path,
                             char *html_path, size_t size, struct pa_error *err)
{
    size_t len = strlen(prof_path);
    if (len < 5 || len + 1 > size)
        return pa_fail(err, PA_E_OUTPUT, "the file name does not fit");
    memcpy(html_path, prof_path, len - 5);
    memcpy(html_path + len - 5, ".html", 6);
    pa_html_writer_ops.describe(tree, info);
    return pa_output_write_atomic(html_path, &pa_html_writer_ops, tree, err);
}

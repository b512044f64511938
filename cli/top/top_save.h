/* The `s` key of top: the accumulated profile to a .prof in the current directory,
 * through the pstats encoder and the atomic file write that record uses. */
#ifndef PYATTACH_TOP_SAVE_H
#define PYATTACH_TOP_SAVE_H

#include <stddef.h>
#include <sys/types.h>

#include "attach/error.h"
#include "output/profile.h"
#include "output/writer.h"

/* Writes pyattach-top-PID-TIMESTAMP.prof; its name goes to path. */
enum pa_status top_save(const struct pa_profile *profile, pid_t pid, char *path, size_t size,
                        struct pa_error *err);

/* The `S` key, after top_save: the call tree as the HTML viewer, in the .prof's name
 * with .html for .prof; its name goes to html_path. */
enum pa_status top_save_html(struct pa_writer *tree, const struct pa_recording_info *info, const char *prof_path,
                             char *html_path, size_t size, struct pa_error *err);

#endif

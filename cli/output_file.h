/* Output files: the name template (%p %t %h %%) and the atomic write (a temporary
 * file in the same directory, flushed and synced, then renamed over the name). */
#ifndef PYATTACH_OUTPUT_FILE_H
#define PYATTACH_OUTPUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "attach/error.h"
#include "output/writer.h"

/* Expands the template; false if the result does not fit or a % is unknown. */
bool pa_output_expand(const char *template_path, pid_t pid, time_t when, char *out, size_t size);

/* Whether the template names a file per process (holds %p). */
bool pa_output_per_process(const char *template_path);

/* Where the temporary file of an ongoing write is, so a signal handler can remove
 * it; empty when no write is in progress. */
struct pa_output_temp {
    char path[4096];
};

/* Before sampling: PA_E_OUTPUT unless path's directory exists and we may create
 * files in it, so a long run does not end in a write that was bound to fail. */
enum pa_status pa_output_check_dir(const char *path, struct pa_error *err);

/* Writes the writer's content to path atomically. PA_E_OUTPUT on any failure (a
 * missing directory is not created), leaving no temporary file behind. */
enum pa_status pa_output_write_atomic(const char *path, const struct pa_writer_ops *ops, struct pa_writer *writer,
                                      struct pa_output_temp *temp, struct pa_error *err);

#endif

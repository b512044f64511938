/* Output files: the name template (%p %t %h %%) and the atomic write (a temporary
 * file in the same directory, flushed and synced, then renamed over the name; a
 * device or a pipe, such as /dev/null, is written in place). */
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

/* An output being made: its temporary file .NAME.XXXXXX, created in NAME's directory
 * before sampling (which proves the name can be written: directory, permissions,
 * mount, free space) and kept open until the profile is written into it and renamed
 * over NAME, or discarded. Allocated, so a signal handler may walk the open ones. */
struct pa_output_file {
    char path[4096];              /* NAME */
    char temp[4096];              /* the temporary file; empty once closed */
    int fd;
    bool in_place;                /* NAME is a device or a pipe, written directly (temp empty) */
    struct pa_output_file *next;  /* the list of open files */
};

/* Creates path's temporary file and reserves a first block of it (a full disk fails
 * here, not after sampling); opens path itself when it is a device, a pipe or a socket. PA_E_OUTPUT with one line naming path and the cause; a
 * missing directory is not created. On success *out is to be committed or discarded. */
enum pa_status pa_output_open(const char *path, struct pa_output_file **out, struct pa_error *err);

/* Writes the writer's content into the temporary file, flushes, syncs, and renames it
 * over the name. Frees f, success or not; on failure no temporary file is left and a
 * previous file at the name is untouched. */
enum pa_status pa_output_commit(struct pa_output_file *f, const struct pa_writer_ops *ops, struct pa_writer *writer,
                                struct pa_error *err);

/* Removes the temporary file and frees f (NULL is allowed). */
void pa_output_discard(struct pa_output_file *f);

/* For a signal handler (async-signal-safe): removes every open temporary file. */
void pa_output_unlink_all(void);

/* pa_output_open, then pa_output_commit: what top's save key does. */
enum pa_status pa_output_write_atomic(const char *path, const struct pa_writer_ops *ops, struct pa_writer *writer,
                                      struct pa_error *err);

#endif

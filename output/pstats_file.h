/* pstats files: a profile as the marshalled dict pstats.Stats loads,
 * {(file, line, name): (cc, nc, tt, ct, {caller key: (nc, cc, tt, ct)})}, and back. */
#ifndef PYATTACH_PSTATS_FILE_H
#define PYATTACH_PSTATS_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "attach/error.h"
#include "output/marshal.h"
#include "output/profile.h"

/* Encodes every function that has stats, in profile order. */
enum pa_status pa_pstats_encode(const struct pa_profile *profile, struct pa_marshal *m,
                                struct pa_error *err);
/* Encodes and writes to out (PA_E_OUTPUT when writing fails). */
enum pa_status pa_pstats_write(const struct pa_profile *profile, FILE *out, struct pa_error *err);

/* Decodes a dump into an empty profile: stats keys first, in file order (the order
 * pstats iterates them), then keys named only as callers (has_stats false). */
enum pa_status pa_pstats_load(const unsigned char *data, size_t len, struct pa_profile *profile,
                              struct pa_error *err);
/* Reads and decodes a file; PA_E_USAGE when it cannot be read, PA_E_CORRUPT when it
 * is not a pstats dump. */
enum pa_status pa_pstats_load_file(const char *path, struct pa_profile *profile,
                                   struct pa_error *err);

#endif

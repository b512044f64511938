/* Fitting names into top's columns: package-relative paths (sys.path prefixes such as
 * .../site-packages/ and .../lib/pythonX.Y/ dropped) and an ellipsis in the middle. */
#ifndef PYATTACH_TOP_NAMES_H
#define PYATTACH_TOP_NAMES_H

#include <stddef.h>

/* The part of path after a sys.path-like directory: one of dirs (the script's
 * directory, the target's working directory), else the last site-packages,
 * dist-packages or lib/pythonX.Y; path itself when it is under none. */
const char *top_relative_path(const char *path, const char *const *dirs, size_t ndirs);

/* Writes text into out (size bytes) in at most width characters: unchanged when it
 * fits, else its head and tail around "...", the tail longer (it says more). */
void top_fit(const char *text, size_t width, char *out, size_t size);

#endif

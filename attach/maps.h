/* The target's memory mappings, from /proc/PID/maps. */
#ifndef PYATTACH_MAPS_H
#define PYATTACH_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/error.h"

struct pa_mapping {
    uint64_t start, end;  /* [start, end) */
    uint64_t offset;      /* file offset of start */
    uint64_t device;      /* the file's device, (major << 32) | minor; 0 for anonymous */
    uint64_t inode;       /* the file's inode; 0 for anonymous: with device and offset, what
                             tells a file mapped again at the same place from another */
    char perms[5];        /* "r-xp" */
    char *path;           /* as the target sees it; "" for anonymous */
};

struct pa_maps {
    struct pa_mapping *items;
    size_t count;
};

enum pa_status pa_maps_read(pid_t pid, struct pa_maps *maps, struct pa_error *err);
/* Parses the text of a maps file (for tests). */
enum pa_status pa_maps_parse(const char *text, struct pa_maps *maps, struct pa_error *err);
void pa_maps_free(struct pa_maps *maps);

/* The mapping containing addr, or NULL. */
const struct pa_mapping *pa_maps_find(const struct pa_maps *maps, uint64_t addr);

#endif

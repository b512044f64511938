/* Where the target's vDSO is and where its .eh_frame_hdr search table lies, read from
 * the target's auxv and memory: the vDSO is no file, so libunwind-ptrace cannot open it. */
#ifndef PYATTACH_VDSO_TABLE_H
#define PYATTACH_VDSO_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/memory.h"

struct pa_vdso_table {
    bool found;
    uint64_t start, end;     /* its executable code, [start, end) in the target */
    uint64_t eh_frame_hdr;   /* the header's address: table entries are relative to it */
    uint64_t table;          /* the binary-search table: fde_count pairs of int32 */
    uint64_t fde_count;
};

/* found false when the target has no vDSO or its table is not in the one encoding
 * libunwind searches remotely (datarel|sdata4, what every kernel emits). */
void pa_vdso_table_find(pid_t pid, struct pa_reader *reader, struct pa_vdso_table *out);

#endif

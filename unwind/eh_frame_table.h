/* Where one loaded module's .eh_frame_hdr binary-search table lies in the target, read
 * from the target's memory (its ELF header and program headers), never from a file. */
#ifndef PYATTACH_EH_FRAME_TABLE_H
#define PYATTACH_EH_FRAME_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "attach/memory.h"

struct pa_eh_frame_table {
    uint64_t start, end;   /* the module's loaded image, [start, end) in the target */
    uint64_t eh_frame_hdr; /* the header's address: table entries are relative to it */
    uint64_t table;        /* the binary-search table: fde_count pairs of int32 */
    uint64_t fde_count;
};

/* elf_header: where the module's ELF header is mapped (the start of its mapping at file
 * offset 0; for the vDSO, the start of [vdso]). False when that is no 64-bit ELF, it
 * has no PT_GNU_EH_FRAME, or the table is missing or not in the one encoding libunwind
 * searches remotely (datarel|sdata4, what every linker and kernel emits). */
bool pa_eh_frame_table_read(struct pa_reader *reader, uint64_t elf_header, struct pa_eh_frame_table *out);

#endif

/* One module's unwind table in the target: the ELF header at the module's start gives
 * the program headers; the PT_LOADs give the image's extent and the load bias, and
 * PT_GNU_EH_FRAME the .eh_frame_hdr, whose binary-search table libunwind can search in
 * remote memory. The runtime itself unwinds (C++ exceptions, backtrace()) through these
 * very bytes, so they are always loaded. Read from the target, not from a file: the
 * vDSO is no file, and a file named in /proc/PID/maps may not be reachable by that name
 * from our root (a container); the memory is the module that actually runs. */
#include "unwind/eh_frame_table.h"

#include <elf.h>
#include <string.h>

#define DW_EH_PE_omit 0xff
#define DW_EH_PE_udata4 0x03
#define DW_EH_PE_sdata4 0x0b
#define DW_EH_PE_udata8 0x04
#define DW_EH_PE_sdata8 0x0c
#define DW_EH_PE_datarel 0x30
#define MAX_PHDRS 64     /* an executable has ~14, the vDSO 4 */
#define MAX_HEADER_SKEW 4096 /* the first PT_LOAD starts within the first page of the file */

/* The size of a value in encoding enc, for the formats an .eh_frame_hdr uses. */
static int encoded_size(uint8_t enc)
{
    if (enc == DW_EH_PE_omit)
        return -1;
    switch (enc & 0x0f) {
    case DW_EH_PE_udata4:
    case DW_EH_PE_sdata4:
        return 4;
    case DW_EH_PE_udata8:
    case DW_EH_PE_sdata8:
        return 8;
    default:
        return -1;
    }
}

bool pa_eh_frame_table_read(struct pa_reader *reader, uint64_t base, struct pa_eh_frame_table *out)
{
    memset(out, 0, sizeof *out);
    Elf64_Ehdr eh;
    if (base == 0 || pa_read(reader, base, &eh, sizeof eh, NULL) != PA_OK)
        return false;
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS ||
        eh.e_phoff > MAX_HEADER_SKEW)
        return false;
    Elf64_Phdr ph[MAX_PHDRS];
    if (pa_read(reader, base + eh.e_phoff, ph, eh.e_phnum * sizeof ph[0], NULL) != PA_OK)
        return false;
    const Elf64_Phdr *first = NULL, *hdr = NULL;
    uint64_t image_end = 0; /* link-time address */
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD) {
            if (first == NULL || ph[i].p_vaddr < first->p_vaddr)
                first = &ph[i];
            if (ph[i].p_vaddr + ph[i].p_memsz > image_end)
                image_end = ph[i].p_vaddr + ph[i].p_memsz;
        } else if (ph[i].p_type == PT_GNU_EH_FRAME) {
            hdr = &ph[i];
        }
    }
    /* The first PT_LOAD maps the file from offset 0 (mmap rounds down to the page), so
     * the header's address is the load bias plus its link-time page. */
    if (first == NULL || hdr == NULL || first->p_offset >= MAX_HEADER_SKEW || first->p_vaddr < first->p_offset)
        return false;
    uint64_t bias = base - (first->p_vaddr - first->p_offset);
    uint64_t start = base, end = bias + image_end;
    uint64_t at = bias + hdr->p_vaddr;
    uint8_t h[4 + 8 + 8] = {0}; /* version, 3 encodings, eh_frame_ptr, fde_count */
    if (at < start || at >= end || hdr->p_memsz < 4 + 4 + 4 ||
        pa_read(reader, at, h, sizeof h < hdr->p_memsz ? sizeof h : hdr->p_memsz, NULL) != PA_OK || h[0] != 1)
        return false;
    int ptr_size = encoded_size(h[1]), count_size = encoded_size(h[2]);
    if (ptr_size < 0 || count_size < 0 || h[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
        return false;
    uint64_t header_size = 4 + (uint64_t)ptr_size + (uint64_t)count_size;
    if (header_size > hdr->p_memsz)
        return false;
    uint64_t count = 0;
    if (count_size == 4) {
        uint32_t c32;
        memcpy(&c32, h + 4 + ptr_size, 4);
        count = c32;
    } else {
        memcpy(&count, h + 4 + ptr_size, 8);
    }
    if (count == 0 || count > (hdr->p_memsz - header_size) / 8)
        return false; /* 8 bytes per entry must fit in the segment */
    *out = (struct pa_eh_frame_table){
        .start = start, .end = end, .eh_frame_hdr = at, .table = at + header_size, .fde_count = count};
    return true;
}

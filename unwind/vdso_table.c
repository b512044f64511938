/* Finding the vDSO's unwind table in the target: AT_SYSINFO_EHDR from /proc/PID/auxv is
 * its ELF header; the program headers give the mapped code (PT_LOAD) and .eh_frame_hdr
 * (PT_GNU_EH_FRAME), whose binary-search table libunwind can search in remote memory.
 * Read from the target rather than taken from our own getauxval(): a container or a
 * 32-bit/compat target maps a vDSO image we cannot assume is ours. */
#include "unwind/vdso_table.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

#define DW_EH_PE_udata4 0x03
#define DW_EH_PE_sdata4 0x0b
#define DW_EH_PE_udata8 0x04
#define DW_EH_PE_sdata8 0x0c
#define DW_EH_PE_datarel 0x30
#define MAX_PHDRS 16 /* the vDSO has 4 */

static uint64_t auxv_sysinfo_ehdr(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    Elf64_auxv_t aux;
    uint64_t at = 0;
    while (at == 0 && fread(&aux, sizeof aux, 1, f) == 1 && aux.a_type != AT_NULL)
        if (aux.a_type == AT_SYSINFO_EHDR)
            at = aux.a_un.a_val;
    fclose(f);
    return at;
}

/* The size of a value in encoding enc, for the formats an .eh_frame_hdr uses. */
static int encoded_size(uint8_t enc)
{
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

void pa_vdso_table_find(pid_t pid, struct pa_reader *reader, struct pa_vdso_table *out)
{
    memset(out, 0, sizeof *out);
    uint64_t base = auxv_sysinfo_ehdr(pid);
    Elf64_Ehdr eh;
    if (base == 0 || pa_read(reader, base, &eh, sizeof eh, NULL) != PA_OK)
        return;
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS)
        return;
    Elf64_Phdr ph[MAX_PHDRS];
    if (pa_read(reader, base + eh.e_phoff, ph, eh.e_phnum * sizeof ph[0], NULL) != PA_OK)
        return;
    const Elf64_Phdr *load = NULL, *hdr = NULL;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && load == NULL)
            load = &ph[i];
        else if (ph[i].p_type == PT_GNU_EH_FRAME)
            hdr = &ph[i];
    }
    if (load == NULL || hdr == NULL || load->p_offset != 0)
        return;
    uint64_t bias = base - load->p_vaddr; /* the header sits at the start of the load */
    uint8_t h[4 + 8 + 8];                 /* version, 3 encodings, eh_frame_ptr, fde_count */
    uint64_t at = bias + hdr->p_vaddr;
    if (pa_read(reader, at, h, sizeof h, NULL) != PA_OK || h[0] != 1)
        return;
    int ptr_size = encoded_size(h[1]), count_size = encoded_size(h[2]);
    if (ptr_size < 0 || count_size < 0 || h[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
        return;
    uint64_t count = 0;
    if (count_size == 4) {
        uint32_t c32;
        memcpy(&c32, h + 4 + ptr_size, 4);
        count = c32;
    } else {
        memcpy(&count, h + 4 + ptr_size, 8);
    }
    if (count == 0 || count > hdr->p_memsz / 8)
        return; /* 8 bytes per entry must fit in the segment */
    *out = (struct pa_vdso_table){.found = true,
                                  .start = base,
                                  .end = bias + load->p_vaddr + load->p_memsz,
                                  .eh_frame_hdr = at,
                                  .table = at + 4 + (uint64_t)ptr_size + (uint64_t)count_size,
                                  .fde_count = count};
}

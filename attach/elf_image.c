/* ELF files of the target, read with libelf from the host side. */
#include "attach/elf_image.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum pa_status pa_elf_open(const char *path, struct pa_elf_image *image, struct pa_error *err)
{
    memset(image, 0, sizeof *image);
    image->fd = -1;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return pa_fail(err, PA_E_INTERNAL, "libelf initialisation failed: %s", elf_errmsg(-1));
    image->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (image->fd < 0)
        return pa_fail(err, errno == EACCES ? PA_E_PERMISSION : PA_E_NOT_PYTHON, "cannot open %s: %s",
                       path, strerror(errno));
    Elf *elf = elf_begin(image->fd, ELF_C_READ_MMAP, NULL);
    GElf_Ehdr ehdr;
    if (elf == NULL || elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &ehdr) == NULL) {
        if (elf)
            elf_end(elf);
        close(image->fd);
        image->fd = -1;
        return pa_fail(err, PA_E_NOT_PYTHON, "%s is not an ELF file", path);
    }
    image->elf = elf;
    image->is_pie_or_dso = ehdr.e_type == ET_DYN;
    image->path = strdup(path);
    if (image->path == NULL) {
        pa_elf_close(image);
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    }
    return PA_OK;
}

void pa_elf_close(struct pa_elf_image *image)
{
    if (image->elf)
        elf_end(image->elf);
    if (image->fd >= 0)
        close(image->fd);
    free(image->path);
    memset(image, 0, sizeof *image);
    image->fd = -1;
}

static bool find_in_symtab(Elf *elf, Elf_Scn *scn, const char *name, uint64_t *vaddr, uint64_t *size)
{
    GElf_Shdr shdr;
    Elf_Data *data = elf_getdata(scn, NULL);
    if (gelf_getshdr(scn, &shdr) == NULL || data == NULL || shdr.sh_entsize == 0)
        return false;
    size_t count = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym sym;
        if (gelf_getsym(data, (int)i, &sym) == NULL || sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
            continue;
        const char *sym_name = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (sym_name && strcmp(sym_name, name) == 0) {
            *vaddr = sym.st_value;
            if (size)
                *size = sym.st_size;
            return true;
        }
    }
    return false;
}

bool pa_elf_symbol(const struct pa_elf_image *image, const char *name, uint64_t *vaddr, uint64_t *size)
{
    static const Elf64_Word kinds[] = {SHT_DYNSYM, SHT_SYMTAB};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (Elf_Scn *scn = elf_nextscn(image->elf, NULL); scn; scn = elf_nextscn(image->elf, scn)) {
            GElf_Shdr shdr;
            if (gelf_getshdr(scn, &shdr) && shdr.sh_type == kinds[k] &&
                find_in_symtab(image->elf, scn, name, vaddr, size))
                return true;
        }
    }
    return false;
}

bool pa_elf_section(const struct pa_elf_image *image, const char *name, uint64_t *vaddr, uint64_t *size)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(image->elf, &shstrndx) != 0)
        return false;
    for (Elf_Scn *scn = elf_nextscn(image->elf, NULL); scn; scn = elf_nextscn(image->elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == NULL)
            continue;
        const char *sec_name = elf_strptr(image->elf, shstrndx, shdr.sh_name);
        if (sec_name && strcmp(sec_name, name) == 0) {
            *vaddr = shdr.sh_addr;
            if (size)
                *size = shdr.sh_size;
            return true;
        }
    }
    return false;
}

bool pa_elf_read_vaddr(const struct pa_elf_image *image, uint64_t vaddr, void *buf, size_t len)
{
    size_t phnum;
    if (elf_getphdrnum(image->elf, &phnum) != 0)
        return false;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr phdr;
        if (gelf_getphdr(image->elf, (int)i, &phdr) == NULL || phdr.p_type != PT_LOAD)
            continue;
        if (vaddr < phdr.p_vaddr || vaddr + len > phdr.p_vaddr + phdr.p_filesz)
            continue;
        off_t at = (off_t)(phdr.p_offset + (vaddr - phdr.p_vaddr));
        return pread(image->fd, buf, len, at) == (ssize_t)len;
    }
    return false;
}

enum pa_status pa_elf_compute_bias(struct pa_elf_image *image, const struct pa_maps *maps,
                                   const char *mapped_path, struct pa_error *err)
{
    size_t phnum;
    if (elf_getphdrnum(image->elf, &phnum) != 0)
        return pa_fail(err, PA_E_NOT_PYTHON, "%s has no program headers", image->path);
    for (size_t m = 0; m < maps->count; m++) {
        const struct pa_mapping *map = &maps->items[m];
        if (strcmp(map->path, mapped_path) != 0)
            continue;
        for (size_t i = 0; i < phnum; i++) {
            GElf_Phdr phdr;
            if (gelf_getphdr(image->elf, (int)i, &phdr) == NULL || phdr.p_type != PT_LOAD)
                continue;
            /* The kernel maps a segment from its page-aligned file offset. */
            uint64_t page_offset = phdr.p_offset & ~(uint64_t)0xfff;
            if (page_offset != map->offset)
                continue;
            uint64_t page_vaddr = phdr.p_vaddr - (phdr.p_offset - page_offset);
            image->load_bias = map->start - page_vaddr;
            return PA_OK;
        }
    }
    return pa_fail(err, PA_E_NOT_PYTHON, "cannot place %s in the target's memory map", image->path);
}

bool pa_elf_each_rodata(const struct pa_elf_image *image,
                        bool (*visit)(const char *data, size_t size, void *user), void *user)
{
    for (Elf_Scn *scn = elf_nextscn(image->elf, NULL); scn; scn = elf_nextscn(image->elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == NULL || shdr.sh_type != SHT_PROGBITS ||
            (shdr.sh_flags & SHF_ALLOC) == 0 || (shdr.sh_flags & (SHF_WRITE | SHF_EXECINSTR)) != 0)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        if (data && data->d_buf && visit(data->d_buf, data->d_size, user))
            return true;
    }
    return false;
}

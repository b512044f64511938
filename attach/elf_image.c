/* ELF files of the target, read with libelf from the host side. The files are the
 * target's: in a container its owner wrote them, so nothing in them is trusted
 * (tests/fuzz/fuzz_elf_image.c feeds this file mutated interpreters). */
#include "attach/elf_image.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Shared by both ways of opening: checks the header, takes ownership of elf. */
static enum pa_status adopt_elf(struct pa_elf_image *image, Elf *elf, const char *name, struct pa_error *err)
{
    GElf_Ehdr ehdr;
    if (elf == NULL || elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &ehdr) == NULL) {
        if (elf)
            elf_end(elf);
        pa_elf_close(image);
        return pa_fail(err, PA_E_NOT_PYTHON, "%s is not an ELF file", name);
    }
    image->elf = elf;
    image->is_pie_or_dso = ehdr.e_type == ET_DYN;
    image->path = strdup(name);
    if (image->path == NULL) {
        pa_elf_close(image);
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    }
    return PA_OK;
}

enum pa_status pa_elf_open(const char *path, struct pa_elf_image *image, struct pa_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        memset(image, 0, sizeof *image);
        image->fd = -1;
        return pa_fail(err, errno == EACCES ? PA_E_PERMISSION : PA_E_NOT_PYTHON, "cannot open %s: %s",
                       path, strerror(errno));
    }
    return pa_elf_open_fd(fd, path, image, err);
}

enum pa_status pa_elf_open_fd(int fd, const char *name, struct pa_elf_image *image, struct pa_error *err)
{
    memset(image, 0, sizeof *image);
    image->fd = fd;
    if (elf_version(EV_CURRENT) == EV_NONE) {
        pa_elf_close(image);
        return pa_fail(err, PA_E_INTERNAL, "libelf initialisation failed: %s", elf_errmsg(-1));
    }
    /* ELF_C_READ, not ELF_C_READ_MMAP: libelf then preads what it needs into buffers
     * of its own. A mapping of a file that its owner truncates meanwhile raises
     * SIGBUS at the next access (tests/unit/test_elf_image.c). */
    return adopt_elf(image, elf_begin(fd, ELF_C_READ, NULL), name, err);
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
    size_t entry = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
    if (gelf_getshdr(scn, &shdr) == NULL || data == NULL || entry == 0)
        return false;
    /* As many entries as the data holds, whatever sh_entsize claims. */
    size_t count = data->d_size / entry;
    for (size_t i = 0; i < count && i <= INT_MAX; i++) {
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

/* The first section of a type. The ELF specification allows one .dynsym and one
 * .symtab; a hostile file may hold thousands, each as large as the file, for libelf
 * to copy and for every lookup to search. */
static Elf_Scn *first_section_of_type(Elf *elf, Elf64_Word type)
{
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) && shdr.sh_type == type)
            return scn;
    }
    return NULL;
}

bool pa_elf_symbol(const struct pa_elf_image *image, const char *name, uint64_t *vaddr, uint64_t *size)
{
    static const Elf64_Word kinds[] = {SHT_DYNSYM, SHT_SYMTAB};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        Elf_Scn *scn = first_section_of_type(image->elf, kinds[k]);
        if (scn && find_in_symtab(image->elf, scn, name, vaddr, size))
            return true;
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
        /* Written so that no sum can wrap: every field is the file's word. */
        if (vaddr < phdr.p_vaddr || len > phdr.p_filesz || vaddr - phdr.p_vaddr > phdr.p_filesz - len)
            continue;
        uint64_t offset = phdr.p_offset + (vaddr - phdr.p_vaddr);
        return offset >= phdr.p_offset && offset <= (uint64_t)INT64_MAX &&
               pread(image->fd, buf, len, (off_t)offset) == (ssize_t)len;
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

/* Read-only data is read in pieces of RODATA_PIECE bytes, each beginning RODATA_OVERLAP
 * bytes before the end of the previous one, RODATA_BUDGET bytes in all: a real
 * interpreter has a few MB (libpython3.12: 1 MB of .rodata, 1.4 MB with .eh_frame);
 * a hostile file may have thousands of sections over the same gigabyte. */
#define RODATA_PIECE (1u << 20)
#define RODATA_OVERLAP 64u
#define RODATA_BUDGET (64u << 20)

bool pa_elf_each_rodata(const struct pa_elf_image *image,
                        bool (*visit)(const char *data, size_t size, void *user), void *user)
{
    uint64_t budget = RODATA_BUDGET;
    bool found = false;
    for (Elf_Scn *scn = elf_nextscn(image->elf, NULL); scn && budget > 0 && !found;
         scn = elf_nextscn(image->elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == NULL || shdr.sh_type != SHT_PROGBITS ||
            (shdr.sh_flags & SHF_ALLOC) == 0 || (shdr.sh_flags & (SHF_WRITE | SHF_EXECINSTR)) != 0 ||
            shdr.sh_offset > (uint64_t)INT64_MAX || shdr.sh_size > (uint64_t)INT64_MAX - shdr.sh_offset)
            continue;
        for (uint64_t at = 0; at < shdr.sh_size && budget > 0 && !found;) {
            uint64_t want = shdr.sh_size - at;
            if (want > RODATA_PIECE)
                want = RODATA_PIECE;
            if (want > budget)
                want = budget;
            char *piece = malloc((size_t)want); /* exactly: ASan sees a visitor overrun it */
            ssize_t got = piece ? pread(image->fd, piece, (size_t)want, (off_t)(shdr.sh_offset + at)) : -1;
            if (got > 0) {
                budget -= (uint64_t)got;
                found = visit(piece, (size_t)got, user);
            }
            free(piece);
            if (got <= 0 || (uint64_t)got < want || at + (uint64_t)got >= shdr.sh_size)
                break; /* done, or the section header claims bytes past the end of the file */
            at += (uint64_t)got - RODATA_OVERLAP;
        }
    }
    return found;
}

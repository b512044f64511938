/* One ELF file mapped by the target, opened from the host: symbols (.dynsym, then
 * .symtab), sections, and the load bias that turns file addresses into target ones. */
#ifndef PYATTACH_ELF_IMAGE_H
#define PYATTACH_ELF_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "attach/maps.h"

struct pa_elf_image {
    char *path;          /* the path we opened (through /proc/PID/root) */
    int fd;
    void *elf;           /* Elf * (kept opaque so callers need not include libelf) */
    bool is_pie_or_dso;  /* ET_DYN: the load bias is not zero */
    uint64_t load_bias;  /* target address = file vaddr + load_bias */
};

enum pa_status pa_elf_open(const char *path, struct pa_elf_image *image, struct pa_error *err);

/* The same over an open file (the fuzzer's memfd): the image owns fd from now on,
 * failure or not; `name` stands for the path in messages. */
enum pa_status pa_elf_open_fd(int fd, const char *name, struct pa_elf_image *image, struct pa_error *err);

void pa_elf_close(struct pa_elf_image *image);

/* Finds a defined symbol by exact name in .dynsym, then .symtab (the first table of
 * each kind: a real file has one). Returns true and its file virtual address (and
 * size) if found. */
bool pa_elf_symbol(const struct pa_elf_image *image, const char *name, uint64_t *vaddr, uint64_t *size);

/* Finds a section by name: its file virtual address and size. */
bool pa_elf_section(const struct pa_elf_image *image, const char *name, uint64_t *vaddr, uint64_t *size);

/* Copies the file's bytes backing [vaddr, vaddr+len) (from a PT_LOAD segment's file
 * image) into buf; false if they are not all in the file (e.g. .bss). */
bool pa_elf_read_vaddr(const struct pa_elf_image *image, uint64_t vaddr, void *buf, size_t len);

/* Computes image->load_bias from the target mappings of `mapped_path` (the path the
 * target maps the file under): bias = mapping start - vaddr of the PT_LOAD segment
 * whose file offset the mapping starts at. */
enum pa_status pa_elf_compute_bias(struct pa_elf_image *image, const struct pa_maps *maps,
                                   const char *mapped_path, struct pa_error *err);

/* Calls visit(data, size, user) over the bytes of every allocated read-only PROGBITS
 * section (.rodata and friends) until it returns true; returns whether one did. A
 * section comes in pieces of up to 1 MB, each repeating the last 64 bytes of the one
 * before (a string up to 64 bytes long is whole in one piece); 64 MB in all at most. */
bool pa_elf_each_rodata(const struct pa_elf_image *image,
                        bool (*visit)(const char *data, size_t size, void *user), void *user);

#endif

/* Unit tests for attach/elf_image.c and the version-string rung (python_frames/version.c)
 * on hostile files, the way a container's owner could write them for the host's root
 * to open: each case is a file written here by a small ELF writer, or a real ELF (this
 * test's own executable) changed under the reader. Each one is a regression test for
 * a problem found while writing the ELF fuzzer (tests/fuzz/fuzz_elf_image.c). */
#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "attach/elf_image.h"
#include "python_frames/version.h"

#define MAX_SECTIONS 4096
#define MAX_PHDRS 4
#define HEAD (sizeof(Elf64_Ehdr) + MAX_PHDRS * sizeof(Elf64_Phdr)) /* payload starts here */

/* An ELF64 file being written: payload bytes after the headers, then .shstrtab and the
 * section headers at the end. */
struct writer {
    unsigned char *bytes;
    size_t size, capacity;
    Elf64_Shdr sections[MAX_SECTIONS];
    size_t section_count;
    Elf64_Phdr phdrs[MAX_PHDRS];
    size_t phdr_count;
    char names[4096];
    size_t names_size;
};

static void append(struct writer *w, const void *data, size_t len)
{
    if (w->size + len > w->capacity) {
        w->capacity = (w->size + len) * 2;
        w->bytes = realloc(w->bytes, w->capacity);
        assert_non_null(w->bytes);
    }
    memcpy(w->bytes + w->size, data, len);
    w->size += len;
}

static void writer_init(struct writer *w)
{
    memset(w, 0, sizeof *w);
    unsigned char zeros[HEAD] = {0};
    append(w, zeros, sizeof zeros);
    w->section_count = 1; /* section 0 is the null section */
    w->names_size = 1;
}

/* Appends len bytes (a copy of data, or zeros) to the payload; returns their offset. */
static uint64_t payload(struct writer *w, const void *data, size_t len)
{
    uint64_t at = w->size;
    if (data != NULL) {
        append(w, data, len);
    } else {
        unsigned char *zeros = calloc(1, len ? len : 1);
        assert_non_null(zeros);
        append(w, zeros, len);
        free(zeros);
    }
    return at;
}

/* A section header (same name for many headers is allowed); returns its index. */
static size_t section(struct writer *w, const char *name, uint32_t type, uint64_t flags, uint64_t addr,
                      uint64_t offset, uint64_t size, uint32_t link, uint64_t entsize)
{
    assert_true(w->section_count < MAX_SECTIONS);
    size_t name_at = w->names_size, len = strlen(name) + 1;
    if (len > 1) {
        char *seen = memmem(w->names, w->names_size, name, len); /* reuse an equal name */
        if (seen != NULL) {
            name_at = (size_t)(seen - w->names);
        } else {
            assert_true(w->names_size + len <= sizeof w->names);
            memcpy(w->names + w->names_size, name, len);
            w->names_size += len;
        }
    } else {
        name_at = 0;
    }
    w->sections[w->section_count] = (Elf64_Shdr){.sh_name = (uint32_t)name_at, .sh_type = type,
                                                 .sh_flags = flags, .sh_addr = addr, .sh_offset = offset,
                                                 .sh_size = size, .sh_link = link, .sh_entsize = entsize};
    return w->section_count++;
}

static void load_segment(struct writer *w, uint64_t offset, uint64_t vaddr, uint64_t filesz)
{
    assert_true(w->phdr_count < MAX_PHDRS);
    w->phdrs[w->phdr_count++] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R, .p_offset = offset,
                                             .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
                                             .p_memsz = filesz, .p_align = 0x1000};
}

/* Writes the file to a new temporary path (returned, to unlink) and frees the writer. */
static char *writer_finish(struct writer *w)
{
    size_t shstrndx = w->section_count;
    uint64_t names_at = payload(w, w->names, w->names_size);
    section(w, ".shstrtab", SHT_STRTAB, 0, 0, names_at, w->names_size, 0, 0);
    while (w->size % 8)
        payload(w, NULL, 1);
    uint64_t shoff = w->size;
    append(w, w->sections, w->section_count * sizeof(Elf64_Shdr));
    Elf64_Ehdr eh = {.e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                     .e_phoff = sizeof(Elf64_Ehdr), .e_shoff = shoff, .e_ehsize = sizeof(Elf64_Ehdr),
                     .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t)w->phdr_count,
                     .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = (uint16_t)w->section_count,
                     .e_shstrndx = (uint16_t)shstrndx};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    memcpy(w->bytes, &eh, sizeof eh);
    memcpy(w->bytes + sizeof eh, w->phdrs, w->phdr_count * sizeof(Elf64_Phdr));

    char *path = strdup("/tmp/pyattach-test-elf-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, w->bytes, w->size), (ssize_t)w->size);
    close(fd);
    free(w->bytes);
    return path;
}

/* Opens the file just written and removes it (the open file stays readable), so a
 * failing assertion leaves nothing in /tmp. */
static enum pa_status open_and_unlink(char *path, struct pa_elf_image *image)
{
    enum pa_status status = pa_elf_open(path, image, NULL);
    unlink(path);
    free(path);
    return status;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A real ELF file (this test's own executable, with its .symtab) truncated by its
 * owner after pyattach opened it. With libelf's ELF_C_READ_MMAP the next lookup
 * touched pages beyond the new end of the file: SIGBUS killed the reader. Now libelf
 * preads, a short read is an error, and every lookup just fails. */
static void file_truncated_after_open(void **state)
{
    (void)state;
    char copy[] = "/tmp/pyattach-test-elf-self-XXXXXX";
    int out = mkstemp(copy), in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    assert_true(out >= 0 && in >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    close(in);

    struct pa_elf_image image;
    int opened = pa_elf_open(copy, &image, NULL);
    unlink(copy); /* nothing left behind, whatever fails below */
    assert_int_equal(opened, PA_OK);
    uint64_t vaddr, size;
    assert_true(pa_elf_section(&image, ".text", &vaddr, &size)); /* section headers read */
    assert_int_equal(ftruncate(out, 4096), 0);
    close(out);
    assert_false(pa_elf_symbol(&image, "no_such_symbol_anywhere", &vaddr, &size));
    struct py_version v;
    assert_false(py_version_from_rodata(&image, &v));
    pa_elf_close(&image);
}

/* The version string search looked at every "3." not after a digit or a dot, and
 * measured the string from there with strnlen to the end of the section: a .rodata
 * of "x3." repeated (no NUL) took quadratic time: 2 s for 1 MB here, over a minute
 * for the 4 MB below, hours for a libpython's size. A version literal is at most 16
 * bytes; the search looks no further. */
static void version_search_is_linear(void **state)
{
    (void)state;
    struct writer w;
    writer_init(&w);
    size_t len = 4u << 20;
    char *rodata = malloc(len);
    assert_non_null(rodata);
    for (size_t i = 0; i < len; i++)
        rodata[i] = "x3."[i % 3];
    uint64_t at = payload(&w, rodata, len);
    section(&w, ".rodata", SHT_PROGBITS, SHF_ALLOC, 0x10000, at, len, 0, 0);
    /* The real literal follows in a second read-only section. */
    uint64_t literal_at = payload(&w, "\0003.12.1\0", 9);
    section(&w, ".rodata.str", SHT_PROGBITS, SHF_ALLOC, 0x200000, literal_at, 9, 0, 0);
    char *path = writer_finish(&w);
    free(rodata);

    struct pa_elf_image image;
    assert_int_equal(open_and_unlink(path, &image), PA_OK);
    double start = seconds_now();
    struct py_version v;
    assert_true(py_version_from_rodata(&image, &v));
    double took = seconds_now() - start;
    assert_int_equal(v.major, 3);
    assert_int_equal(v.minor, 12);
    assert_int_equal(v.micro, 1);
    assert_true(took < 2.0); /* linear: milliseconds; it was over a minute */
    pa_elf_close(&image);
}

/* A version literal across the boundary of two pieces of a large section is found. */
static void version_literal_across_pieces(void **state)
{
    (void)state;
    for (size_t shift = 0; shift < 24; shift++) {
        struct writer w;
        writer_init(&w);
        size_t len = (3u << 20) + 100;
        char *rodata = calloc(1, len);
        assert_non_null(rodata);
        size_t where = (1u << 20) - 12 + shift; /* around the first 1 MB boundary */
        memcpy(rodata + where, "3.9.18", 7);
        uint64_t at = payload(&w, rodata, len);
        section(&w, ".rodata", SHT_PROGBITS, SHF_ALLOC, 0x10000, at, len, 0, 0);
        char *path = writer_finish(&w);
        free(rodata);
        struct pa_elf_image image;
        assert_int_equal(open_and_unlink(path, &image), PA_OK);
        struct py_version v = {0};
        assert_true(py_version_from_rodata(&image, &v));
        assert_int_equal(v.minor, 9);
        assert_int_equal(v.micro, 18);
        pa_elf_close(&image);
    }
}

static size_t visited_bytes;

static bool count_bytes(const char *data, size_t size, void *user)
{
    (void)data;
    (void)user;
    visited_bytes += size;
    return false;
}

/* Thousands of read-only section headers over the same megabyte: libelf copied each
 * one (gigabytes of memory) and the search read them all. Read-only data is now read
 * from the file in pieces of at most 1 MB, 64 MB in all: a real interpreter has a
 * few MB (libpython3.12: 1 MB of .rodata). */
static void read_only_data_is_bounded(void **state)
{
    (void)state;
    struct writer w;
    writer_init(&w);
    size_t len = 1u << 20;
    uint64_t at = payload(&w, NULL, len);
    for (int i = 0; i < 2000; i++)
        section(&w, ".rodata", SHT_PROGBITS, SHF_ALLOC, 0x10000, at, len, 0, 0);
    char *path = writer_finish(&w);
    struct pa_elf_image image;
    assert_int_equal(open_and_unlink(path, &image), PA_OK);
    visited_bytes = 0;
    assert_false(pa_elf_each_rodata(&image, count_bytes, NULL));
    assert_true(visited_bytes >= (64u << 20) - (1u << 20));
    assert_true(visited_bytes <= (64u << 20) + (1u << 20));
    pa_elf_close(&image);
}

/* Symbols: the ELF specification allows one .dynsym and one .symtab. A file with
 * thousands of symbol tables, each as large as the file, had every one copied and
 * searched for every name. Only the first table of each kind counts now. */
static void one_symbol_table_of_each_kind(void **state)
{
    (void)state;
    struct writer w;
    writer_init(&w);
    static const char strings[] = "\0found_me\0shadow\0";
    uint64_t str_at = payload(&w, strings, sizeof strings);
    size_t strtab = section(&w, ".strtab", SHT_STRTAB, 0, 0, str_at, sizeof strings, 0, 0);
    Elf64_Sym first[2] = {{0}, {.st_name = 1, .st_shndx = 1, .st_value = 0x1234, .st_size = 8}};
    Elf64_Sym second[2] = {{0}, {.st_name = 10, .st_shndx = 1, .st_value = 0x5678, .st_size = 8}};
    uint64_t first_at = payload(&w, first, sizeof first), second_at = payload(&w, second, sizeof second);
    section(&w, ".symtab", SHT_SYMTAB, 0, 0, first_at, sizeof first, (uint32_t)strtab, sizeof(Elf64_Sym));
    for (int i = 0; i < 1000; i++)
        section(&w, ".symtab", SHT_SYMTAB, 0, 0, second_at, sizeof second, (uint32_t)strtab, sizeof(Elf64_Sym));
    char *path = writer_finish(&w);
    struct pa_elf_image image;
    assert_int_equal(open_and_unlink(path, &image), PA_OK);
    uint64_t vaddr = 0, size = 0;
    assert_true(pa_elf_symbol(&image, "found_me", &vaddr, &size));
    assert_int_equal(vaddr, 0x1234);
    assert_int_equal(size, 8);
    assert_false(pa_elf_symbol(&image, "shadow", &vaddr, &size));
    pa_elf_close(&image);
}

/* pa_elf_read_vaddr compared vaddr + len with p_vaddr + p_filesz: near the top of the
 * address space the sum wrapped, and 8 bytes at 2^64 - 4 "were" in a segment that
 * ends below them (the bytes returned were the file's, past the segment). */
static void read_vaddr_sums_do_not_wrap(void **state)
{
    (void)state;
    struct writer w;
    writer_init(&w);
    unsigned char data[64];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)i;
    uint64_t at = payload(&w, data, sizeof data);
    uint64_t top = UINT64_MAX - 0xff; /* the segment: [2^64 - 0x100, 2^64 - 0xf0) */
    load_segment(&w, at, top, 0x10);
    char *path = writer_finish(&w);
    struct pa_elf_image image;
    assert_int_equal(open_and_unlink(path, &image), PA_OK);
    uint64_t value = 0;
    assert_true(pa_elf_read_vaddr(&image, top + 8, &value, sizeof value)); /* the segment's last 8 bytes */
    assert_int_equal(value, 0x0f0e0d0c0b0a0908ull);
    assert_false(pa_elf_read_vaddr(&image, UINT64_MAX - 3, &value, sizeof value));
    assert_false(pa_elf_read_vaddr(&image, top + 9, &value, sizeof value));
    assert_false(pa_elf_read_vaddr(&image, top, &value, SIZE_MAX));
    pa_elf_close(&image);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_truncated_after_open),
        cmocka_unit_test(version_search_is_linear),
        cmocka_unit_test(version_literal_across_pieces),
        cmocka_unit_test(read_only_data_is_bounded),
        cmocka_unit_test(one_symbol_table_of_each_kind),
        cmocka_unit_test(read_vaddr_sums_do_not_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

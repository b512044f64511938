/* Unit tests for the in-memory unwind tables (unwind/eh_frame_table.c, module_tables.c):
 * a module's .eh_frame_hdr table found from an ELF image laid out in a fake address
 * space (a shared object with a load bias, a non-PIE executable, images the remote
 * search cannot use), and modules grouped from a maps text as a chroot'ed target shows. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/fake_memory.h"
#include "unwind/eh_frame_table.h"
#include "unwind/module_tables.h"

#define SO_BASE 0x7f1234560000ull
#define HDR_VADDR 0x3100u
#define FDES 3u

/* An ELF image as the loader maps it: ELF header and program headers at base, three
 * PT_LOADs from link-time address `vaddr` (header, text, read-only data holding the
 * .eh_frame_hdr), and a PT_GNU_EH_FRAME over the header and its FDES-entry table. */
struct image {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[4];
    uint8_t hdr[12 + 8 * FDES]; /* version, encodings, eh_frame_ptr, fde_count, table */
    uint32_t hdr_memsz;
};

static void image_init(struct image *im, uint64_t vaddr)
{
    memset(im, 0, sizeof *im);
    memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
    im->eh.e_ident[EI_CLASS] = ELFCLASS64;
    im->eh.e_phoff = sizeof im->eh;
    im->eh.e_phentsize = sizeof(Elf64_Phdr);
    im->eh.e_phnum = 4;
    im->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = 0, .p_vaddr = vaddr, .p_memsz = 0x1000};
    im->ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = vaddr + 0x1000, .p_memsz = 0x2000};
    im->ph[2] = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = 0x3000, .p_vaddr = vaddr + 0x3000, .p_memsz = 0x800};
    im->hdr_memsz = sizeof im->hdr;
    im->ph[3] = (Elf64_Phdr){.p_type = PT_GNU_EH_FRAME, .p_vaddr = vaddr + HDR_VADDR, .p_memsz = im->hdr_memsz};
    im->hdr[0] = 1;
    im->hdr[1] = 0x1b; /* eh_frame_ptr: pcrel|sdata4 */
    im->hdr[2] = 0x03; /* fde_count: udata4 */
    im->hdr[3] = 0x3b; /* table: datarel|sdata4 */
    uint32_t count = FDES;
    memcpy(im->hdr + 8, &count, 4);
}

/* Lays the image out at base (its first PT_LOAD) in a fresh fake address space. */
static void image_map(const struct image *im, struct fake_memory *memory, struct pa_reader *reader, uint64_t base)
{
    fake_memory_init(memory, reader);
    fake_memory_add(memory, base, 0x3800);
    fake_memory_put(memory, base, &im->eh, sizeof im->eh);
    fake_memory_put(memory, base + sizeof im->eh, im->ph, sizeof im->ph);
    fake_memory_put(memory, base + HDR_VADDR, im->hdr, sizeof im->hdr);
}

/* The table of the image mapped at base, looked for from the ELF header at `at`. */
static bool read_table_at(const struct image *im, uint64_t base, uint64_t at, struct pa_eh_frame_table *table)
{
    struct fake_memory memory;
    struct pa_reader reader;
    image_map(im, &memory, &reader, base);
    bool found = pa_eh_frame_table_read(&reader, at, table);
    fake_memory_free(&memory);
    return found;
}

static bool read_table(const struct image *im, uint64_t base, struct pa_eh_frame_table *table)
{
    return read_table_at(im, base, base, table);
}

static void shared_object_table_is_relocated(void **state)
{
    (void)state;
    struct image im;
    image_init(&im, 0);
    struct pa_eh_frame_table t;
    assert_true(read_table(&im, SO_BASE, &t));
    assert_int_equal(t.start, SO_BASE);
    assert_int_equal(t.end, SO_BASE + 0x3800);
    assert_int_equal(t.eh_frame_hdr, SO_BASE + HDR_VADDR);
    assert_int_equal(t.table, SO_BASE + HDR_VADDR + 12);
    assert_int_equal(t.fde_count, FDES);
}

static void non_pie_executable_has_no_bias(void **state)
{
    (void)state;
    struct image im;
    image_init(&im, 0x400000);
    struct pa_eh_frame_table t;
    assert_true(read_table(&im, 0x400000, &t));
    assert_int_equal(t.start, 0x400000);
    assert_int_equal(t.end, 0x403800);
    assert_int_equal(t.eh_frame_hdr, 0x400000 + HDR_VADDR);
    assert_int_equal(t.fde_count, FDES);
}

static void unusable_images_give_no_table(void **state)
{
    (void)state;
    struct image im;
    struct pa_eh_frame_table t;

    image_init(&im, 0);
    im.eh.e_ident[1] = 'X'; /* no ELF: a data file mapped at offset 0 */
    assert_false(read_table(&im, SO_BASE, &t));

    image_init(&im, 0);
    im.eh.e_ident[EI_CLASS] = ELFCLASS32;
    assert_false(read_table(&im, SO_BASE, &t));

    image_init(&im, 0);
    im.ph[3].p_type = PT_NOTE; /* no PT_GNU_EH_FRAME: .debug_frame only */
    assert_false(read_table(&im, SO_BASE, &t));

    image_init(&im, 0);
    im.hdr[2] = 0xff; /* the linker could not sort the FDEs: no table (DW_EH_PE_omit) */
    assert_false(read_table(&im, SO_BASE, &t));

    image_init(&im, 0);
    im.hdr[3] = 0x1b; /* pcrel entries: not what the remote search reads */
    assert_false(read_table(&im, SO_BASE, &t));

    image_init(&im, 0);
    im.ph[3].p_memsz = 12 + 8 * (FDES - 1); /* the table would run past its segment */
    assert_false(read_table(&im, SO_BASE, &t));

    image_init(&im, 0);
    im.ph[3].p_vaddr = 0x9000; /* the header outside the image */
    assert_false(read_table(&im, SO_BASE, &t));

    image_init(&im, 0);
    assert_false(read_table_at(&im, SO_BASE, SO_BASE + 0x100000, &t)); /* nothing mapped there */
    assert_false(read_table_at(&im, SO_BASE, SO_BASE + 0x1000, &t));   /* no ELF header there */
}

/* A target chroot'ed in a private mount namespace names its files by their path from
 * that namespace's root; a bind-mounted /tmp holds an extension. */
static const char MAPS[] =
    "00400000-00420000 r--p 00000000 fe:00 1079434 /r/usr/bin/python3.13\n"
    "00420000-00740000 r-xp 00020000 fe:00 1079434 /r/usr/bin/python3.13\n"
    "009f4000-00a85000 rw-p 005f3000 fe:00 1079434 /r/usr/bin/python3.13\n"
    "00a85000-00af9000 rw-p 00000000 00:00 0 \n"
    "0aa8a000-0ab45000 rw-p 00000000 00:00 0                                  [heap]\n"
    "7f257dc1b000-7f257dc75000 r--p 00000000 fe:00 1084342 /r/usr/lib/locale/C.utf8/LC_CTYPE\n"
    "7f257dc7a000-7f257dca2000 r--p 00000000 fe:00 1078691 /r/usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7f257dca2000-7f257de05000 r-xp 00028000 fe:00 1078691 /r/usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7f257de5f000-7f257de61000 rw-p 001e4000 fe:00 1078691 /r/usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7f257de61000-7f257de6e000 rw-p 00000000 00:00 0 \n"
    "7f257de70000-7f257de71000 r--p 00000000 fe:00 17 /r/tmp/x/ext.so\n"
    "7f257de71000-7f257de72000 ---p 00001000 fe:00 17 /r/tmp/x/ext.so\n"
    "7f257de72000-7f257de73000 r-xp 00001000 fe:00 17 /r/tmp/x/ext.so\n"
    "7f257de80000-7f257de81000 r--p 00000000 fe:00 17 /r/tmp/x/ext.so\n"
    "7f257de81000-7f257de82000 r-xp 00001000 fe:00 17 /r/tmp/x/ext.so\n"
    "7f257dfb0000-7f257dfb4000 r--p 00000000 00:00 0                          [vvar]\n"
    "7f257dfb6000-7f257dfb8000 r-xp 00000000 00:00 0                          [vdso]\n"
    "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n";

static void modules_from_maps(void **state)
{
    (void)state;
    struct pa_maps maps;
    assert_int_equal(pa_maps_parse(MAPS, &maps, NULL), PA_OK);
    struct pa_module *m;
    size_t n;
    assert_int_equal(pa_modules_from_maps(&maps, &m, &n, NULL), PA_OK);
    pa_maps_free(&maps);
    assert_int_equal(n, 6);
    /* .bss after the executable does not end it; the next file does. */
    assert_string_equal(m[0].path, "/r/usr/bin/python3.13");
    assert_int_equal(m[0].start, 0x400000);
    assert_int_equal(m[0].end, 0xa85000);
    assert_string_equal(m[1].path, "/r/usr/lib/locale/C.utf8/LC_CTYPE"); /* looked at, found no ELF */
    assert_string_equal(m[2].path, "/r/usr/lib/x86_64-linux-gnu/libc.so.6");
    assert_int_equal(m[2].start, 0x7f257dc7a000);
    assert_int_equal(m[2].end, 0x7f257de61000);
    /* The same file loaded twice (dlmopen): two modules. */
    assert_int_equal(m[3].start, 0x7f257de70000);
    assert_int_equal(m[3].end, 0x7f257de73000);
    assert_int_equal(m[4].start, 0x7f257de80000);
    assert_int_equal(m[4].end, 0x7f257de82000);
    assert_string_equal(m[5].path, "[vdso]");
    assert_int_equal(m[5].start, 0x7f257dfb6000);

    assert_ptr_equal(pa_modules_find(m, n, 0x5000ff), &m[0]);
    assert_ptr_equal(pa_modules_find(m, n, 0xa84fff), &m[0]);
    assert_null(pa_modules_find(m, n, 0xa85000));
    assert_null(pa_modules_find(m, n, 0x3fffff));
    assert_ptr_equal(pa_modules_find(m, n, 0x7f257dca2000), &m[2]);
    assert_null(pa_modules_find(m, n, 0x7f257de62000)); /* libc's .bss: anonymous */
    assert_ptr_equal(pa_modules_find(m, n, 0x7f257de81800), &m[4]);
    assert_ptr_equal(pa_modules_find(m, n, 0x7f257dfb7000), &m[5]);
    assert_null(pa_modules_find(m, n, 0x7ffd00000100));
    /* Each module's identity: the device and inode of its file (none for the vDSO). */
    assert_int_equal(m[0].device, (uint64_t)0xfe << 32);
    assert_int_equal(m[0].inode, 1079434);
    assert_int_equal(m[3].inode, 17);
    assert_int_equal(m[5].device, 0);
    assert_int_equal(m[5].inode, 0);
    pa_modules_free(m, n);
}

/* A mapping of the same name but another file (replaced on disk, then mapped) does not
 * extend the module before it: it is no part of that image. */
static void modules_of_another_inode(void **state)
{
    (void)state;
    static const char maps_text[] =
        "7f0000000000-7f0000001000 r--p 00000000 08:01 20 /lib/x.so\n"
        "7f0000001000-7f0000002000 r-xp 00001000 08:01 21 /lib/x.so\n"
        "7f0000002000-7f0000003000 r--p 00000000 103:02 21 /lib/x.so\n";
    struct pa_maps maps;
    assert_int_equal(pa_maps_parse(maps_text, &maps, NULL), PA_OK);
    assert_int_equal(maps.items[2].device, (uint64_t)0x103 << 32 | 2);
    struct pa_module *m;
    size_t n;
    assert_int_equal(pa_modules_from_maps(&maps, &m, &n, NULL), PA_OK);
    pa_maps_free(&maps);
    assert_int_equal(n, 2);
    assert_int_equal(m[0].end, 0x7f0000001000);
    assert_int_equal(m[0].inode, 20);
    assert_int_equal(m[1].start, 0x7f0000002000);
    assert_int_equal(m[1].inode, 21);
    pa_modules_free(m, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_object_table_is_relocated),
        cmocka_unit_test(non_pie_executable_has_no_bias),
        cmocka_unit_test(unusable_images_give_no_table),
        cmocka_unit_test(modules_from_maps),
        cmocka_unit_test(modules_of_another_inode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

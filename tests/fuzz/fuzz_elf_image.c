/* libFuzzer target for the ELF files pyattach opens in a target (attach/elf_image.c)
 * and the version string search over them (python_frames/version.c). The input is a
 * whole ELF file, opened as pyattach opens a target's file (pa_elf_open_fd over a
 * memfd holding it: the same libelf reads, into buffers ASan watches); the seeds are
 * real interpreters shrunk by elf_seeds.py. Every call
 * python_frames/runtime.c makes on a candidate file is made here, in its order:
 * symbols, the .PyRuntime section, the load bias against a memory map made from the
 * file's own PT_LOADs, Py_Version's bytes, the version string in read-only data.
 * It must never crash, hang, leak or read out of bounds.
 *
 * Build and run: tests/fuzz/run_fuzz_elf.sh [seconds] (see tests/fuzz/README).
 * PYATTACH_FUZZ_VERBOSE=1 prints what each input yields (to check the seeds). */
#include <gelf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "attach/elf_image.h"
#include "python_frames/version.h"

#define MAX_LOADS 8
#define MAX_READ 4096

static const char *const symbols[] = {"_PyRuntime", "interp_head", "_PyThreadState_Current", "Py_Version",
                                      "PyCode_Type", "_Py_NoneStruct", "no_such_symbol"};
static const char *const sections[] = {".PyRuntime", ".rodata", ".no_such_section"};
static const char mapped_path[] = "/usr/lib/libpython3.so";

static int verbose = -1;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    if (verbose < 0)
        verbose = getenv("PYATTACH_FUZZ_VERBOSE") != NULL;
    if (!verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* Reads up to MAX_READ bytes at vaddr into an exactly sized buffer (ASan sees overruns). */
static void read_at(const struct pa_elf_image *image, uint64_t vaddr, uint64_t size)
{
    size_t len = size > MAX_READ ? MAX_READ : size == 0 ? 8 : (size_t)size;
    unsigned char *buf = malloc(len);
    if (buf == NULL)
        return;
    bool ok = pa_elf_read_vaddr(image, vaddr, buf, len);
    say("  read 0x%llx+%zu: %s\n", (unsigned long long)vaddr, len, ok ? "yes" : "no");
    free(buf);
}

/* The target's memory map as the kernel would make it from the file's PT_LOADs (and
 * one mapping of another file), for pa_elf_compute_bias. */
static void place(struct pa_elf_image *image)
{
    struct pa_mapping items[MAX_LOADS + 1];
    char other[] = "/usr/lib/libc.so.6", own[sizeof mapped_path];
    memcpy(own, mapped_path, sizeof own);
    size_t count = 0, phnum = 0;
    items[count++] = (struct pa_mapping){.start = 0x7f0000000000, .end = 0x7f0000001000, .path = other};
    if (elf_getphdrnum(image->elf, &phnum) == 0) {
        for (size_t i = 0; i < phnum && count <= MAX_LOADS; i++) {
            GElf_Phdr phdr;
            if (gelf_getphdr(image->elf, (int)i, &phdr) == NULL || phdr.p_type != PT_LOAD)
                continue;
            uint64_t start = 0x7f1000000000 + (uint64_t)count * 0x1000000;
            items[count++] = (struct pa_mapping){
                .start = start, .end = start + 0x1000, .offset = phdr.p_offset & ~(uint64_t)0xfff, .path = own};
        }
    }
    struct pa_maps maps = {.items = items, .count = count};
    bool placed = pa_elf_compute_bias(image, &maps, mapped_path, NULL) == PA_OK;
    say("  bias: %s 0x%llx\n", placed ? "yes" : "no", (unsigned long long)image->load_bias);
}

/* The input as a file: one memfd, refilled for every input. */
static int input_file(const uint8_t *data, size_t size)
{
    static int memfd = -1;
    if (memfd < 0)
        memfd = memfd_create("fuzz.elf", MFD_CLOEXEC);
    if (memfd < 0 || ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) {
        perror("fuzz_elf_image: memfd");
        abort();
    }
    return dup(memfd); /* pa_elf_close closes it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pa_elf_image image;
    if (pa_elf_open_fd(input_file(data, size), "fuzz.elf", &image, NULL) != PA_OK)
        return 0;
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        uint64_t vaddr = 0, sym_size = 0;
        bool found = pa_elf_symbol(&image, symbols[i], &vaddr, &sym_size);
        say("symbol %s: %s 0x%llx size %llu\n", symbols[i], found ? "yes" : "no", (unsigned long long)vaddr,
            (unsigned long long)sym_size);
        if (found) {
            read_at(&image, vaddr, 8); /* runtime.c reads Py_Version so */
            read_at(&image, vaddr, sym_size);
        }
    }
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        uint64_t vaddr = 0, sec_size = 0;
        bool found = pa_elf_section(&image, sections[i], &vaddr, &sec_size);
        say("section %s: %s 0x%llx size %llu\n", sections[i], found ? "yes" : "no", (unsigned long long)vaddr,
            (unsigned long long)sec_size);
        if (found)
            read_at(&image, vaddr, sec_size);
    }
    place(&image);
    struct py_version v;
    if (py_version_from_rodata(&image, &v))
        say("version string: %d.%d.%d\n", v.major, v.minor, v.micro);
    else
        say("version string: none\n");
    pa_elf_close(&image);
    return 0;
}

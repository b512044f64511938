#!/usr/bin/python3
"""Seeds for fuzz_elf_image: a real interpreter's ELF file, shrunk to what
attach/elf_image.c and the version ladder read, so that mutations land in it.

    tests/fuzz/elf_seeds.py OUT_DIR FILE...

For every FILE (a libpython, a python executable; ELF64 little-endian) writes
OUT_DIR/<name>.elf, a valid ELF file of a few KB that keeps
  - every section header (names, types, flags, links, indices as in the original),
  - the symbol tables (.dynsym, .symtab) cut down to the symbols runtime.c looks up
    (_PyRuntime, interp_head, Py_Version, ...) plus the first few others, each with a
    rebuilt string table,
  - windows of .rodata around the PY_VERSION string and around Py_Version's value,
    the start of .PyRuntime (3.13+: the _Py_DebugOffsets cookie), small sections
    whole (.interp, notes, .comment, .shstrtab); every other section keeps its header
    with no bytes (sh_size 0),
  - one PT_LOAD per kept allocated window (so pa_elf_read_vaddr finds Py_Version)
    after a first PT_LOAD over the ELF and program headers.
Symbol values and section addresses are the original ones. Mutating a 30 MB
libpython directly would spend nearly every mutation on machine code.
"""
import os
import re
import struct
import sys

LOOKED_UP = {b"_PyRuntime", b"interp_head", b"_PyThreadState_Current", b"Py_Version", b"PyCode_Type",
             b"_Py_NoneStruct"}
OTHER_SYMBOLS = 40      # first defined symbols kept besides the looked-up ones, per table
SMALL_SECTION = 512     # sections up to this size are kept whole
RODATA_WINDOW = 768     # bytes kept on each side of the version string
PYRUNTIME_HEAD = 256    # start of .PyRuntime kept (the _Py_DebugOffsets cookie and version)

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
SHDR = struct.Struct("<IIQQQQIIQQ")
SYM = struct.Struct("<IBBHQQ")
SHT_NOBITS, SHT_SYMTAB, SHT_DYNSYM, SHT_STRTAB = 8, 2, 11, 3
SHF_ALLOC = 2
PT_LOAD = 1
VERSION = re.compile(rb"(?<![0-9.])[23]\.[0-9]{1,2}\.[0-9]{1,2}[a-z0-9+]{0,6}\0")


def c_string(blob, at):
    end = blob.index(b"\0", at)
    return blob[at:end]


class Elf(object):
    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise SystemExit("not an ELF64 little-endian file")
        self.data = data
        h = EHDR.unpack_from(data, 0)
        (self.ident, self.type, self.machine, self.version, self.entry, self.phoff, self.shoff,
         self.flags, _, _, self.phnum, _, self.shnum, self.shstrndx) = h
        self.phdrs = [list(PHDR.unpack_from(data, self.phoff + i * PHDR.size)) for i in range(self.phnum)]
        self.shdrs = [list(SHDR.unpack_from(data, self.shoff + i * SHDR.size)) for i in range(self.shnum)]
        names = self.section_bytes(self.shstrndx)
        self.names = [c_string(names, s[0]) for s in self.shdrs]

    def section_bytes(self, index):
        s = self.shdrs[index]
        if s[1] == SHT_NOBITS:
            return b""
        return self.data[s[4]:s[4] + s[5]]

    def index_of(self, name):
        return self.names.index(name) if name in self.names else None


def shrink_symbols(elf, table):
    """(symbol table bytes, string table bytes) with the symbols worth keeping."""
    raw = elf.section_bytes(table)
    strings = elf.section_bytes(elf.shdrs[table][6])
    kept, others = [], 0
    for i in range(len(raw) // SYM.size):
        sym = list(SYM.unpack_from(raw, i * SYM.size))
        name = c_string(strings, sym[0]) if sym[0] < len(strings) else b""
        if i == 0 or name in LOOKED_UP or (name and sym[3] != 0 and others < OTHER_SYMBOLS):
            others += i != 0 and name not in LOOKED_UP
            kept.append((name, sym))
    new_strings = bytearray(b"\0")
    out = bytearray()
    for name, sym in kept:
        if name:
            sym[0] = len(new_strings)
            new_strings += name + b"\0"
        out += SYM.pack(*sym)
    return bytes(out), bytes(new_strings)


def symbol_value(elf, name):
    for table in (elf.index_of(b".dynsym"), elf.index_of(b".symtab")):
        if table is None:
            continue
        raw, strings = elf.section_bytes(table), elf.section_bytes(elf.shdrs[table][6])
        for i in range(len(raw) // SYM.size):
            sym = SYM.unpack_from(raw, i * SYM.size)
            if sym[3] != 0 and sym[4] != 0 and c_string(strings, sym[0]) == name:
                return sym[4]
    return None


def rodata_windows(elf):
    """[(offset, length)] inside .rodata: around PY_VERSION and around Py_Version."""
    index = elf.index_of(b".rodata")
    if index is None:
        return index, []
    data, addr = elf.section_bytes(index), elf.shdrs[index][3]
    spans = []
    match = VERSION.search(data)
    if match:
        spans.append((max(0, match.start() - RODATA_WINDOW), min(len(data), match.end() + RODATA_WINDOW)))
    value = symbol_value(elf, b"Py_Version")
    if value is not None and addr <= value < addr + len(data):
        at = value - addr
        spans.append((max(0, at - 64), min(len(data), at + 64)))
    spans.sort()
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return index, [(start, end - start) for start, end in merged]


def shrink(data):
    elf = Elf(data)
    # Per section: a list of (offset in the section, bytes); the first replaces the
    # section's data, more windows become extra sections with a copy of its header.
    windows = {}
    for i, s in enumerate(elf.shdrs):
        name, kind, size = elf.names[i], s[1], s[5]
        if i == 0 or kind == SHT_NOBITS:
            continue
        if kind in (SHT_SYMTAB, SHT_DYNSYM):
            symbols, strings = shrink_symbols(elf, i)
            windows[i] = [(0, symbols)]
            windows[s[6]] = [(0, strings)]
        elif name == b".PyRuntime":
            windows[i] = [(0, elf.section_bytes(i)[:PYRUNTIME_HEAD])]
        elif size <= SMALL_SECTION and i not in windows:
            windows[i] = [(0, elf.section_bytes(i))]
    rodata, spans = rodata_windows(elf)
    if rodata is not None:
        windows[rodata] = [(start, elf.section_bytes(rodata)[start:start + length]) for start, length in spans]

    shdrs = [list(s) for s in elf.shdrs]
    extra = []  # (header, bytes) appended after the original sections
    bodies = {}
    for i, s in enumerate(shdrs):
        parts = windows.get(i, [])
        if s[1] == SHT_NOBITS:
            continue
        if not parts:
            s[5] = 0
            bodies[i] = b""
            continue
        first_offset, first = parts[0]
        if s[2] & SHF_ALLOC:
            s[3] += first_offset
        s[5] = len(first)
        bodies[i] = first
        for offset, more in parts[1:]:
            header = list(elf.shdrs[i])
            header[3] += offset
            header[5] = len(more)
            extra.append((header, more))

    loads = [p for p in elf.phdrs if p[0] == PT_LOAD]
    others = [p for p in elf.phdrs if p[0] != PT_LOAD]
    allocated = [i for i in bodies if shdrs[i][2] & SHF_ALLOC and bodies[i]] + \
                [len(shdrs) + k for k, (h, _) in enumerate(extra) if h[2] & SHF_ALLOC]
    phnum = 1 + len(allocated) + len(others)

    out = bytearray(EHDR.size + phnum * PHDR.size)
    placed = {}
    all_headers = shdrs + [h for h, _ in extra]
    all_bodies = dict(bodies)
    for k, (_, body) in enumerate(extra):
        all_bodies[len(shdrs) + k] = body
    for i in sorted(all_bodies):
        align = max(1, min(all_headers[i][8], 8))
        out += b"\0" * (-len(out) % align)
        placed[i] = len(out)
        all_headers[i][4] = len(out)
        out += all_bodies[i]
    for i, s in enumerate(all_headers):
        if s[1] == SHT_NOBITS:
            s[4] = len(out)

    phdrs = []
    first = loads[0] if loads else [PT_LOAD, 4, 0, 0, 0, 0, 0, 0x1000]
    head = EHDR.size + phnum * PHDR.size
    phdrs.append([PT_LOAD, first[1], 0, first[3], first[4], head, head, first[7]])
    for i in allocated:
        s = all_headers[i]
        flags = 4 | (2 if s[2] & 1 else 0) | (1 if s[2] & 4 else 0)
        phdrs.append([PT_LOAD, flags, s[4], s[3], s[3], s[5], s[5], 0x1000])
    for p in others:
        phdrs.append([p[0], p[1], 0, p[3], p[4], 0, 0, p[7]])

    out += b"\0" * (-len(out) % 8)
    shoff = len(out)
    for s in all_headers:
        out += SHDR.pack(*s)
    EHDR.pack_into(out, 0, elf.ident, elf.type, elf.machine, elf.version, elf.entry, EHDR.size, shoff,
                   elf.flags, EHDR.size, PHDR.size, phnum, SHDR.size, len(all_headers), elf.shstrndx)
    for k, p in enumerate(phdrs):
        PHDR.pack_into(out, EHDR.size + k * PHDR.size, *p)
    return bytes(out)


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for path in argv[2:]:
        with open(path, "rb") as f:
            seed = shrink(f.read())
        name = os.path.join(out_dir, os.path.basename(path).replace(".", "_") + ".elf")
        with open(name, "wb") as f:
            f.write(seed)
        print("%s: %d bytes from %s" % (name, len(seed), path))


if __name__ == "__main__":
    main(sys.argv)

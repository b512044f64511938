/* Line-table decoders: co_lnotab (3.6 - 3.9), the PEP 626 co_linetable (3.10) and the
 * PEP 657 location table (3.11+), each mapping a byte offset into co_code to a line. */
#include "python_frames/linetable.h"

#include <limits.h>

/* Lines are accumulated in 64 bits so a hostile table cannot overflow an int;
 * anything outside [0, INT_MAX] is reported as "no line". */
static int line_or_none(int64_t line)
{
    return (line < 0 || line > INT_MAX) ? -1 : (int)line;
}

/* 3.6 - 3.9 co_lnotab: (unsigned byte increment, signed line increment) pairs, as
 * PyCode_Addr2Line reads them. The line increment became a signed char in 3.6
 * (bpo-26107); the last line in force applies to every later offset, since the
 * table does not know the code length. */
static int lnotab_line(const uint8_t *table, size_t len, int first_line, int instr_offset)
{
    if (len % 2 != 0)
        return -1;
    int64_t line = first_line;
    int64_t addr = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        addr += table[i];
        if (addr > instr_offset)
            break;
        line += (int8_t)table[i + 1];
    }
    return line_or_none(line);
}

/* 3.10 co_linetable (Objects/lnotab_notes.txt of 3.10): (unsigned byte delta, signed
 * line delta) pairs, each one an address range [start, start + delta). A line delta
 * of -128 marks a range with no line and leaves the running line unchanged. */
static int linetable_310_line(const uint8_t *table, size_t len, int first_line,
                              int instr_offset)
{
    if (len % 2 != 0)
        return -1;
    int64_t line = first_line;
    int64_t end = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        int64_t start = end;
        int8_t line_delta = (int8_t)table[i + 1];
        end += table[i];
        if (line_delta != -128)
            line += line_delta;
        if (start <= instr_offset && instr_offset < end)
            return line_delta == -128 ? -1 : line_or_none(line);
    }
    return -1;
}

/* PEP 657 varint: 6-bit chunks, least significant first, bit 6 = more follow.
 * Returns 0 and advances *pos, or -1 when the table ends mid-number or the value
 * would not fit in 32 bits. */
static int read_varint(const uint8_t *table, size_t len, size_t *pos, uint32_t *out)
{
    uint64_t value = 0;
    unsigned shift = 0;
    for (;;) {
        if (*pos >= len || shift > 30)
            return -1;
        uint8_t byte = table[(*pos)++];
        if (byte & 0x80) /* the first byte of the next entry: this one is cut short */
            return -1;
        value |= (uint64_t)(byte & 63) << shift;
        if (!(byte & 64))
            break;
        shift += 6;
    }
    if (value > UINT32_MAX)
        return -1;
    *out = (uint32_t)value;
    return 0;
}

static int read_svarint(const uint8_t *table, size_t len, size_t *pos, int64_t *out)
{
    uint32_t u;
    if (read_varint(table, len, pos, &u) != 0)
        return -1;
    *out = (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
    return 0;
}

/* Skips n column bytes; the compiler only uses these forms for columns below 128,
 * so bit 7 (the mark of an entry's first byte) is always clear in them. */
static int column_bytes(const uint8_t *table, size_t len, size_t *pos, size_t n)
{
    if (len - *pos < n)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (table[*pos + i] & 0x80)
            return -1;
    *pos += n;
    return 0;
}

enum {
    LOC_ONE_LINE0 = 10, /* codes 0-9 are the short forms: same line, one column byte */
    LOC_NO_COLUMNS = 13,
    LOC_LONG = 14,
    LOC_NONE = 15,
};

/* Decodes the entry at *pos: its code-unit count and line delta, and whether it has a
 * line; advances *pos past it. Returns -1 on a malformed or truncated entry. Parsing
 * every field (rather than skipping to the next byte with bit 7, as CPython's
 * advance() does) is what lets a torn table be noticed. */
static int location_entry(const uint8_t *table, size_t len, size_t *pos, unsigned *units,
                          int64_t *line_delta, int *has_line)
{
    uint8_t first = table[(*pos)++];
    if (!(first & 0x80))
        return -1;
    unsigned code = (first >> 3) & 15;
    uint32_t ignored;
    *units = (first & 7) + 1u;
    *has_line = 1;
    *line_delta = 0;
    if (code < LOC_ONE_LINE0) {
        if (column_bytes(table, len, pos, 1) != 0) /* low column bits, width */
            return -1;
    } else if (code < LOC_NO_COLUMNS) {
        *line_delta = code - LOC_ONE_LINE0;
        if (column_bytes(table, len, pos, 2) != 0) /* start and end column */
            return -1;
    } else if (code == LOC_NO_COLUMNS) {
        if (read_svarint(table, len, pos, line_delta) != 0)
            return -1;
    } else if (code == LOC_LONG) {
        if (read_svarint(table, len, pos, line_delta) != 0 ||
            read_varint(table, len, pos, &ignored) != 0 || /* end line delta */
            read_varint(table, len, pos, &ignored) != 0 || /* column + 1 */
            read_varint(table, len, pos, &ignored) != 0)   /* end column + 1 */
            return -1;
    } else {
        *has_line = 0; /* LOC_NONE: no location, and the running line is kept */
    }
    return 0;
}

/* 3.11+ location table (Objects/locations.md): entries of 1-8 code units, each
 * starting with a byte with bit 7 set. Offsets count code units of 2 bytes and
 * include the CACHE entries that follow specialisable instructions. */
static int locations_line(const uint8_t *table, size_t len, int first_line, int instr_offset)
{
    int64_t line = first_line;
    int64_t end = 0;
    size_t pos = 0;
    while (pos < len) {
        unsigned units;
        int64_t line_delta;
        int has_line;
        if (location_entry(table, len, &pos, &units, &line_delta, &has_line) != 0)
            return -1;
        int64_t start = end;
        end += 2 * (int64_t)units;
        line += line_delta;
        if (line < INT_MIN || line > INT_MAX)
            return -1;
        if (start <= instr_offset && instr_offset < end)
            return has_line ? line_or_none(line) : -1;
    }
    return -1;
}

int py_line_for_offset(enum py_linetable_model model, const uint8_t *table, size_t len,
                       int first_line, int instr_offset)
{
    if (instr_offset < 0 || (table == NULL && len != 0))
        return -1;
    switch (model) {
    case PY_LINES_LNOTAB:
        return lnotab_line(table, len, first_line, instr_offset);
    case PY_LINES_LINETABLE:
        return linetable_310_line(table, len, first_line, instr_offset);
    case PY_LINES_LOCATIONS:
        return locations_line(table, len, first_line, instr_offset);
    }
    return -1;
}

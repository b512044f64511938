/* Checks py_line_for_offset against a dump written by tests/integration/linetable_dump.py
 * (Python's own co_lines / findlinestarts), printing every mismatch and a summary line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/linetable.h"

#define MAX_SHOWN 40

struct code_record {
    enum py_linetable_model model;
    int first_line;
    uint8_t *table;
    size_t len;
    char name[256];
    int have;
    int last_line; /* previous truth line seen in this code object, -1 if none yet */
};

struct totals {
    long codes, checked, mismatches, none_lines;
    long max_jump, max_back_jump; /* largest forward / backward step between lines */
    char version[32];
};

static int parse_model(const char *name, enum py_linetable_model *model)
{
    if (strcmp(name, "lnotab") == 0)
        *model = PY_LINES_LNOTAB;
    else if (strcmp(name, "linetable") == 0)
        *model = PY_LINES_LINETABLE;
    else if (strcmp(name, "locations") == 0)
        *model = PY_LINES_LOCATIONS;
    else
        return -1;
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_hex(const char *hex, size_t hex_len, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (hex_len == 1 && hex[0] == '-')
        return 0;
    if (hex_len % 2 != 0)
        return -1;
    uint8_t *buf = malloc(hex_len / 2 + 1);
    if (buf == NULL)
        return -1;
    for (size_t i = 0; i < hex_len / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(buf);
            return -1;
        }
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = buf;
    *len = hex_len / 2;
    return 0;
}

/* "C <model> <firstlineno> <hex> <name>" */
static int parse_code(char *line, struct code_record *code)
{
    char *save = NULL;
    char *model = strtok_r(line + 2, " ", &save);
    char *first = strtok_r(NULL, " ", &save);
    char *hex = strtok_r(NULL, " ", &save);
    char *name = strtok_r(NULL, "\n", &save);
    if (model == NULL || first == NULL || hex == NULL || parse_model(model, &code->model) != 0)
        return -1;
    free(code->table);
    if (parse_hex(hex, strlen(hex), &code->table, &code->len) != 0)
        return -1;
    code->first_line = atoi(first);
    snprintf(code->name, sizeof code->name, "%s", name ? name : "?");
    code->have = 1;
    code->last_line = -1;
    return 0;
}

static void check_offset(struct code_record *code, int offset, int truth, struct totals *t)
{
    int got = py_line_for_offset(code->model, code->table, code->len, code->first_line, offset);
    t->checked++;
    if (truth < 0)
        t->none_lines++;
    if (got != truth) {
        if (t->mismatches < MAX_SHOWN)
            printf("mismatch: %s (firstlineno %d, table %zu bytes) offset %d: python %d, decoder %d\n",
                   code->name, code->first_line, code->len, offset, truth, got);
        t->mismatches++;
    }
    if (truth >= 0 && code->last_line >= 0) {
        long step = (long)truth - code->last_line;
        if (step > t->max_jump)
            t->max_jump = step;
        if (-step > t->max_back_jump)
            t->max_back_jump = -step;
    }
    if (truth >= 0)
        code->last_line = truth;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DUMP_FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    struct code_record code = {0};
    struct totals t = {0};
    snprintf(t.version, sizeof t.version, "?");
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int bad = 0;
    while (!bad && getline(&line, &cap, f) >= 0) {
        lineno++;
        int a, b, c;
        if (line[0] == 'V' && sscanf(line, "V %d %d %d", &a, &b, &c) == 3) {
            snprintf(t.version, sizeof t.version, "%d.%d.%d", a, b, c);
        } else if (line[0] == 'C' && line[1] == ' ') {
            bad = parse_code(line, &code) != 0;
            t.codes += !bad;
        } else if (line[0] == 'O' && code.have && sscanf(line, "O %d %d", &a, &b) == 2) {
            check_offset(&code, a, b, &t);
        } else {
            bad = 1;
        }
    }
    free(line);
    free(code.table);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s:%ld: malformed dump line\n", argv[1], lineno);
        return 2;
    }
    if (t.mismatches > MAX_SHOWN)
        printf("... %ld more mismatches\n", t.mismatches - MAX_SHOWN);
    printf("summary version=%s codes=%ld checked=%ld mismatches=%ld none=%ld max_jump=%ld "
           "max_back_jump=%ld\n",
           t.version, t.codes, t.checked, t.mismatches, t.none_lines, t.max_jump,
           t.max_back_jump);
    return t.mismatches ? 1 : 0;
}

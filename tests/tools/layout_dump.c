/* Prints what pyattach knows of CPython layouts, for tests that compare it with
 * CPython's own headers (tests/integration/test_debug_offsets_headers.py):
 *   layout_dump positions   each _Py_DebugOffsets layout: "layout MINOR SIZE FIRST_VERSION",
 *                           then "field NAME POSITION" per field
 *   layout_dump pid PID     the struct py_layout pyattach reads from the running
 *                           target: "version X.Y.Z", "ref_model N", "NAME VALUE" per field */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/debug_offsets.h"
#include "python_frames/python_process.h"
#include "tests/support/layout_fields.h"

static int print_positions(void)
{
    size_t count;
    const struct py_debug_offsets_layout *layouts = py_debug_offsets_layouts(&count);
    for (size_t i = 0; i < count; i++) {
        printf("layout %d %zu 0x%08x\n", layouts[i].minor, layouts[i].size, layouts[i].first_version);
        for (size_t f = 0; f < layouts[i].count; f++)
            printf("field %s %zu\n", layouts[i].fields[f].name, layouts[i].fields[f].position);
    }
    return 0;
}

static int print_target(pid_t pid)
{
    struct py_process p;
    struct pa_error err = {0};
    if (py_process_attach(pid, &p, &err) != PA_OK) {
        fprintf(stderr, "layout_dump: %s\n", err.message);
        return 2;
    }
    char version[32];
    py_runtime_version_string(&p.runtime, version, sizeof version);
    printf("version %s\nversion_source %s\nref_model %d\n", version, p.runtime.version_source,
           (int)p.runtime.layout.ref_model);
    for (size_t i = 0; i < layout_field_count; i++)
        printf("%s %d\n", layout_fields[i].name, (int)layout_field_get(&p.runtime.layout, i));
    py_process_detach(&p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "positions") == 0)
        return print_positions();
    if (argc == 3 && strcmp(argv[1], "pid") == 0)
        return print_target((pid_t)atoi(argv[2]));
    fprintf(stderr, "usage: layout_dump positions | layout_dump pid PID\n");
    return 1;
}

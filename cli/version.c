/* pyattach --version: the release (CMake's project version, passed as PYATTACH_VERSION)
 * and the CPython versions this binary reads, taken from the layout tables themselves:
 * the built-in ones (py_layout_for_version) and the _Py_DebugOffsets mirrors. */
#include <stdio.h>

#include "cli/commands.h"
#include "python_frames/debug_offsets.h"
#include "python_frames/layout.h"

#ifndef PYATTACH_VERSION
#error "PYATTACH_VERSION comes from project(... VERSION) in CMakeLists.txt"
#endif

#define HIGHEST_MINOR 99 /* 3.minor looked up in the built-in tables */

int pa_cmd_version(void)
{
    printf("pyattach %s\n", PYATTACH_VERSION);
    const char *sep = "CPython ";
    for (int minor = 0; minor <= HIGHEST_MINOR; minor++) {
        if (py_layout_for_version(3, minor) != NULL) {
            printf("%s3.%d", sep, minor);
            sep = ", ";
        }
    }
    if (sep[0] == ',')
        printf(" (built-in layout tables)\n");
    size_t count;
    const struct py_debug_offsets_layout *layouts = py_debug_offsets_layouts(&count);
    sep = "CPython ";
    for (size_t i = 0; i < count; i++) {
        printf("%s3.%d", sep, layouts[i].minor);
        sep = ", ";
    }
    if (count > 0)
        printf(" (layout from the target's _Py_DebugOffsets; free-threaded builds refused)\n");
    return 0;
}

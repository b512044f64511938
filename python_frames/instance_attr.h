/* An object's own attributes read from the target: where its instance dict (or, 3.11+,
 * its dict-less values) lives in each CPython version. */
#ifndef PYATTACH_INSTANCE_ATTR_H
#define PYATTACH_INSTANCE_ATTR_H

#include <stdint.h>

#include "attach/error.h"
#include "attach/memory.h"
#include "python_frames/layout.h"

/* The attribute `name` (ASCII) of the object at obj_addr, from its instance dict or
 * values as layout->instance_dict_model says. *value is 0 when the object has no such
 * attribute of its own (class attributes are not looked at). */
enum pa_status py_object_get_attr(struct pa_reader *reader, const struct py_layout *layout, uint64_t obj_addr,
                                  const char *name, uint64_t *value, struct pa_error *err);

#endif

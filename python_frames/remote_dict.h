/* Looking things up in the target's dicts and instance attributes (for thread names):
 * str and int keys, split and combined tables, every read bounded by caps. */
#ifndef PYATTACH_REMOTE_DICT_H
#define PYATTACH_REMOTE_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "attach/memory.h"
#include "python_frames/layout.h"

#define PY_DICT_MAX_ENTRIES (1 << 16) /* larger tables are refused (PA_E_CORRUPT) */

/* The value stored under the str key `key` (ASCII, at most 64 bytes) in the dict at
 * dict_addr. *value is 0 when the key is absent. */
enum pa_status py_dict_get_str(struct pa_reader *reader, const struct py_layout *layout, uint64_t dict_addr,
                               const char *key, uint64_t *value, struct pa_error *err);

/* The value stored under the int key equal to `key` (CPython's 30-bit digits); *value is
 * 0 when absent. */
enum pa_status py_dict_get_u64(struct pa_reader *reader, const struct py_layout *layout, uint64_t dict_addr,
                               uint64_t key, uint64_t *value, struct pa_error *err);

/* The same lookup in a split table given apart: the keys object at keys_addr and the
 * values array whose values[0] is at values_addr (3.11+ dict-less instance values). */
enum pa_status py_keys_get_str(struct pa_reader *reader, const struct py_layout *layout, uint64_t keys_addr,
                               uint64_t values_addr, const char *key, uint64_t *value, struct pa_error *err);

/* Address of values[0] for a PyDictValues * / PyObject ** found in ma_values or an
 * object's pre-header (0 stays 0). */
uint64_t py_dict_values_array(const struct py_layout *layout, uint64_t ma_values);

/* The int object at addr as an unsigned 64-bit value; PA_E_CORRUPT if it is negative,
 * does not fit, or is not laid out like an int. */
enum pa_status py_read_int_u64(struct pa_reader *reader, const struct py_layout *layout, uint64_t addr,
                               uint64_t *value, struct pa_error *err);

/* The int object at addr as CPython keeps it: its 30-bit digits, least significant
 * first (at most max of them, else PA_E_CORRUPT), and its sign. Zero has no digits. */
enum pa_status py_read_int_digits(struct pa_reader *reader, const struct py_layout *layout, uint64_t addr,
                                  uint32_t *digits, size_t max, size_t *count, bool *negative,
                                  struct pa_error *err);

#endif

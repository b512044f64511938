/* pprof profiles (perftools.profiles.Profile of google/pprof's proto/profile.proto):
 * samples collected into functions, locations and merged stacks, encoded as the raw
 * protobuf (the writer gzips it), and a file decoded back into cProfile's model. */
#ifndef PYATTACH_PPROF_H
#define PYATTACH_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "output/index_table.h"
#include "output/profile.h"
#include "output/protobuf.h"
#include "output/stack.h"
#include "output/strtab.h"
#include "output/writer.h"

/* What we write:
 *  - sample_type [samples/count, MODE/nanoseconds] (MODE: wall, cpu or gil), the time last
 *    and named by default_sample_type; period_type MODE/nanoseconds, period the interval;
 *  - one Function per (name, filename, start_line), system_name left empty (pprof blanks
 *    a name like <module> when system_name equals it); built-ins ("~") have no filename;
 *  - one Location per (function, line executing), one Line each, all in one Mapping;
 *  - identical stacks with identical labels merged into one Sample;
 *  - the synthetic roots of -s and --threads become labels instead of frames:
 *    <process PID: CMD> -> pid (num), process (str); <thread TID "NAME"> -> tid (num),
 *    thread_name (str). */
struct pa_pprof_function {
    uint32_t name, file; /* string ids; file 0 ("") for built-ins */
    int64_t start_line;
};

struct pa_pprof_location {
    uint32_t function; /* index into functions */
    int64_t line;
};

struct pa_pprof_node {
    uint32_t parent;   /* PA_INDEX_NONE for an outermost frame */
    uint32_t location;
};

enum { PA_PPROF_PID = 1, PA_PPROF_PROCESS = 2, PA_PPROF_TID = 4, PA_PPROF_THREAD_NAME = 8 };

struct pa_pprof_labels {
    unsigned has;      /* PA_PPROF_* */
    int64_t pid, tid;
    uint32_t process, thread_name; /* string ids */
};

struct pa_pprof_sample {
    uint32_t leaf, labels; /* node, label set */
    uint64_t count;
    double seconds;
};

struct pa_pprof {
    struct pa_strtab strings; /* the string table: id 0 is "" */
    struct pa_pprof_function *functions;
    uint32_t nfunctions, functions_capacity;
    struct pa_pprof_location *locations;
    uint32_t nlocations, locations_capacity;
    struct pa_pprof_node *nodes;
    uint32_t nnodes, nodes_capacity;
    struct pa_pprof_labels *labels; /* labels[0] is the empty set */
    uint32_t nlabels, labels_capacity;
    struct pa_pprof_sample *samples;
    uint32_t nsamples, samples_capacity;
    struct pa_index function_index, location_index, node_index, label_index, sample_index;
    size_t max_depth;
};

/* pa_pprof_init fails only when out of memory (false). */
bool pa_pprof_init(struct pa_pprof *p);
void pa_pprof_free(struct pa_pprof *p);

/* Adds one sample (an empty stack adds nothing). PA_E_NOMEM when out of memory. */
enum pa_status pa_pprof_add(struct pa_pprof *p, const struct pa_stack *stack, struct pa_error *err);

/* The uncompressed Profile message. info may be NULL (wall, no period or times). */
enum pa_status pa_pprof_encode(struct pa_pprof *p, const struct pa_recording_info *info,
                               struct pa_pb_buf *out, struct pa_error *err);

/* Reading (pprof_read.c). Whether view should read the file as pprof: it starts with
 * gzip's magic, or its name ends in .pb.gz, .pb or .pprof. */
bool pa_pprof_file_is_pprof(const char *path);

/* Decodes a Profile (gzip'ed or raw) into an empty cProfile model: each sample's
 * locations are its stack (leaf first), the time-valued sample type its weight, pid and
 * tid labels its synthetic roots again. pprof keeps no call counts: ncalls counts the
 * samples a function was on the stack in. PA_E_CORRUPT when it is not a pprof profile. */
enum pa_status pa_pprof_load(const unsigned char *data, size_t len, struct pa_profile *profile,
                             struct pa_error *err);
/* Reads and decodes a file; PA_E_USAGE when it cannot be read. */
enum pa_status pa_pprof_load_file(const char *path, struct pa_profile *profile, struct pa_error *err);

#endif

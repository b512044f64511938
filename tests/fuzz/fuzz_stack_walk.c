/* libFuzzer target for the frame walker: a valid synthetic CPython process of the
 * version the first input byte picks, corrupted by the rest of the input, then every
 * thread listed and walked. It must never crash, hang or read out of bounds.
 *
 * Build and run: tests/fuzz/run_fuzz.sh [seconds] (see tests/fuzz/README).
 *
 * Input: byte 0 picks the version (3.6 ... 3.15), byte 1 the shape (threads, depth,
 * shared codes, C-stack frames, a second interpreter), then a list of operations:
 *   0 overwrite  region, offset(2), len, bytes   raw bytes into an object
 *   1 pointer    region, offset(2), target region, target offset   an 8-byte pointer
 *                to (inside) another object: cross links and cycles
 *   2 value      region, offset(2), pick          an interesting 1/4/8-byte value
 *   3 torn       n                                 the walk's n-th read fails
 *   4 region     len, bytes                        a new object holding input bytes
 *   5 walk       -                                 list and walk now (the cache then
 *                                                  meets the later corruption stale)
 * Regions are numbered in the order the builder made them (deterministic per
 * version and shape), modulo their count; offsets modulo the region's size.
 *
 * With PYATTACH_FUZZ_DEBUG_OFFSETS=1 in the environment byte 0 picks 3.13, 3.14 or
 * 3.15 (its value modulo 3), and the layout is re-read from the (corrupted)
 * _Py_DebugOffsets at the start of _PyRuntime before the last walk, so the walker
 * meets the layouts py_layout_from_debug_offsets accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/debug_offsets.h"
#include "python_frames/stack_walk.h"
#include "tests/support/synthetic_python.h"

#define MAX_THREADS 64
#define MAX_FRAMES 64

struct input {
    const uint8_t *data;
    size_t size, pos;
};

static int take(struct input *in, size_t n, const uint8_t **out)
{
    if (in->size - in->pos < n)
        return 0;
    *out = in->data + in->pos;
    in->pos += n;
    return 1;
}

static int take_u8(struct input *in, unsigned *v)
{
    const uint8_t *b;
    if (!take(in, 1, &b))
        return 0;
    *v = b[0];
    return 1;
}

static int take_u16(struct input *in, unsigned *v)
{
    const uint8_t *b;
    if (!take(in, 2, &b))
        return 0;
    *v = (unsigned)b[0] | (unsigned)b[1] << 8;
    return 1;
}

struct world {
    struct synth_process p;
    int minor;
    uint64_t frames[MAX_FRAMES];
    size_t frame_count;
    struct py_thread threads[MAX_THREADS];
    struct py_stack *stack;
};

static const char *const names[] = {"main", "café", "обработать", "𝔣𝔲𝔫𝔠", "<module>", "Handler.run"};

/* A valid process: 1-4 threads with chains of 0-7 frames over 1-4 codes, C-stack
 * frames mixed in (3.12+; 3.15 ends every thread's chain at its base frame), and maybe
 * a second interpreter with a thread. */
static void build(struct world *w, unsigned shape)
{
    struct synth_process *p = &w->p;
    size_t nthreads = 1 + (shape & 3), depth = (shape >> 2) & 7, ncodes = 1 + ((shape >> 5) & 3);
    int shims = (shape & 0x40) && p->runtime.layout.interpreter_frame.owner >= 0 &&
                p->runtime.layout.version_hex >= 0x030c0000;
    uint64_t codes[4];
    synth_set_code_generation(p, p->interps[0], shape); /* 3.14+ */
    for (size_t i = 0; i < ncodes; i++) {
        struct synth_code_spec spec = {.filename = names[(i + 3) % 6], .name = names[i], .qualname = names[5],
                                       .first_line = 10 + 100 * (int)i, .line_offset = 4 * (int)i,
                                       .line = 12 + 150 * (int)i, .nlocals = (int)i * 3};
        codes[i] = synth_code(p, &spec);
    }
    for (size_t t = 0; t < nthreads; t++) {
        uint64_t previous = shims ? synth_cstack_frame(p, codes[0], 0) : 0;
        for (size_t d = 0; d < depth; d++) {
            previous = synth_frame(p, codes[(t + d) % ncodes], (int)(2 * (d + t)) - 2, previous);
            if (w->frame_count < MAX_FRAMES)
                w->frames[w->frame_count++] = previous;
            synth_frame_set_local(p, previous, 0, 0x7f0000001000ull + d);
        }
        uint64_t tstate = synth_thread(p, p->interps[0], (pid_t)(1000 + t), previous);
        if (t == 0)
            synth_set_gil_holder(p, p->interps[0], tstate);
    }
    if (shape & 0x80) {
        uint64_t sub = synth_interpreter(p);
        uint64_t frame = synth_frame(p, codes[0], 6, 0);
        uint64_t tstate = synth_thread(p, sub, 2000, frame);
        synth_set_gil_holder(p, sub, tstate);
    }
}

static const uint64_t interesting[] = {
    0, 1, 2, 3, 0xff, 0x7f, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
    (uint64_t)1 << 40, (uint64_t)-1, (uint64_t)INT64_MIN, (uint64_t)INT64_MAX, 4096, 4097,
    (uint64_t)-2, 0x7f3a00000000ull, 1u << 28, (1u << 28) + 1,
    /* struct sizes and offsets around the walker's read sizes, for layouts re-read
     * from a corrupted _Py_DebugOffsets */
    72, 80, 520, 1032, 2048, 4000, 5000, 60000,
    /* 3.14+: frame owners (FRAME_OWNED_BY_INTERPRETER, 3.14's CSTACK), thread state
     * sizes and the end of a 1 KiB thread state read, for thread_state.base_frame */
    4, 832, 888, 1016, 1024,
};

static void put(struct fake_region *r, size_t offset, const void *bytes, size_t len)
{
    if (offset < r->size)
        memcpy(r->bytes + offset, bytes, len < r->size - offset ? len : r->size - offset);
}

static void sample(struct world *w, struct py_code_cache *codes)
{
    struct py_walker walker = synth_walker(&w->p, codes);
    struct pa_error err;
    size_t count = 0;
    if (py_list_threads(&walker, w->threads, MAX_THREADS, &count, &err) != PA_OK)
        count = 0; /* the threads read before the error are still worth walking */
    for (size_t i = 0; i < count && i < MAX_THREADS; i++) {
        py_walk_stack(&walker, w->threads[i].frame_addr, w->stack, &err);
        py_walk_thread(&walker, &w->threads[i], w->stack, &err); /* 3.15: to the base frame */
        if (py_thread_reread_frame(&walker, &w->threads[i], &err) == PA_OK)
            py_walk_thread(&walker, &w->threads[i], w->stack, &err);
    }
    for (size_t i = 0; i < w->frame_count; i++)
        py_walk_stack(&walker, w->frames[i], w->stack, &err);
}

/* With PYATTACH_FUZZ_DEBUG_OFFSETS: the layout as the corrupted image now says. */
static int reread_layout(struct world *w)
{
    struct synth_process *p = &w->p;
    uint8_t image[PY_DEBUG_OFFSETS_READ_SIZE];
    memset(image, 0, sizeof image);
    size_t size = synth_debug_offsets(w->minor, image, sizeof image); /* how much of it synth_init wrote */
    if (size == 0 || pa_read(&p->reader, p->runtime.runtime_addr, image, size, NULL) != PA_OK)
        return 0;
    struct pa_error err;
    return py_layout_from_debug_offsets(image, sizeof image, &p->runtime.layout, &err) == PA_OK;
}

static void run_ops(struct world *w, struct input *in, struct py_code_cache *codes)
{
    struct fake_memory *m = &w->p.memory;
    unsigned op;
    while (take_u8(in, &op)) {
        unsigned a, b, c, d;
        const uint8_t *bytes;
        switch (op % 6) {
        case 0:
            if (!take_u8(in, &a) || !take_u16(in, &b) || !take_u8(in, &c) || !take(in, c % 16 + 1, &bytes))
                return;
            put(&m->regions[a % m->count], b % m->regions[a % m->count].size, bytes, c % 16 + 1);
            break;
        case 1: {
            if (!take_u8(in, &a) || !take_u16(in, &b) || !take_u8(in, &c) || !take_u8(in, &d))
                return;
            struct fake_region *from = &m->regions[a % m->count], *to = &m->regions[c % m->count];
            uint64_t addr = to->addr + d % to->size;
            put(from, (b % from->size) & ~(size_t)7, &addr, 8);
            break;
        }
        case 2: {
            if (!take_u8(in, &a) || !take_u16(in, &b) || !take_u8(in, &c))
                return;
            struct fake_region *r = &m->regions[a % m->count];
            uint64_t v = interesting[(c >> 2) % (sizeof interesting / sizeof interesting[0])];
            size_t width = (c & 3) == 0 ? 1 : (c & 3) == 1 ? 4 : 8;
            put(r, (b % r->size) & ~(width - 1), &v, width);
            break;
        }
        case 3:
            if (!take_u8(in, &a))
                return;
            m->reads_left = a + 1;
            break;
        case 4:
            if (!take_u8(in, &a) || !take(in, a % 64 + 1, &bytes))
                return;
            if (m->count < 512) {
                uint64_t addr = synth_alloc(&w->p, a % 64 + 1);
                memcpy(m->regions[m->count - 1].bytes, bytes, a % 64 + 1);
                (void)addr;
            }
            break;
        case 5:
            sample(w, codes);
            break;
        }
    }
}

static int debug_offsets_mode = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (debug_offsets_mode < 0) {
        const char *env = getenv("PYATTACH_FUZZ_DEBUG_OFFSETS");
        debug_offsets_mode = env != NULL && env[0] == '1';
    }
    struct world *w = calloc(1, sizeof *w);
    if (w == NULL || (w->stack = py_stack_new(PY_DEFAULT_MAX_DEPTH)) == NULL) {
        free(w);
        return 0;
    }
    struct pa_error err;
    int minor = debug_offsets_mode ? 13 + data[0] % 3 : synth_minor_versions[data[0] % SYNTH_VERSION_COUNT];
    if (synth_init(&w->p, minor, &err) != PA_OK)
        abort(); /* the builder's own layouts must always be accepted */
    w->minor = minor;
    build(w, data[1]);

    struct py_code_cache *codes = py_code_cache_new();
    if (codes != NULL) {
        struct input in = {.data = data, .size = size, .pos = 2};
        run_ops(w, &in, codes);
        if (!(debug_offsets_mode && minor >= 13) || reread_layout(w))
            sample(w, codes);
        py_code_cache_free(codes);
    }
    synth_free(&w->p);
    free(w->stack);
    free(w);
    return 0;
}

/* A tiny C extension for the --native tests, built at test time against each
 * interpreter's own headers (tests/native_ext/build.py):
 *   spin(seconds)        burns CPU in native_ext_hot_loop, called from native_ext_spin
 *   call_python(f)       calls f() from C (native_ext_call_python), so the stack reads
 *                        Python -> C -> Python
 * Built with -fno-optimize-sibling-calls and noinline, so every C function named here
 * keeps a frame of its own. Compiles against CPython 3.6 - 3.13. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((noinline)) static double native_ext_hot_loop(double seconds)
{
    volatile double acc = 0;
    double end = now() + seconds;
    while (now() < end)
        for (int i = 0; i < 100000; i++)
            acc = acc * 0.999 + (double)i;
    return acc;
}

__attribute__((noinline)) static PyObject *native_ext_spin(PyObject *self, PyObject *args)
{
    double seconds;
    (void)self;
    if (!PyArg_ParseTuple(args, "d", &seconds))
        return NULL;
    double acc = native_ext_hot_loop(seconds);
    return PyFloat_FromDouble(acc);
}

__attribute__((noinline)) static PyObject *native_ext_call_python(PyObject *self, PyObject *args)
{
    PyObject *callable;
    (void)self;
    if (!PyArg_ParseTuple(args, "O", &callable))
        return NULL;
    PyObject *result = PyObject_CallObject(callable, NULL);
    return result; /* not a tail call: -fno-optimize-sibling-calls */
}

static PyMethodDef methods[] = {
    {"spin", native_ext_spin, METH_VARARGS, "Burn CPU in C for the given seconds."},
    {"call_python", native_ext_call_python, METH_VARARGS, "Call a Python callable from C."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "native_ext", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_native_ext(void)
{
    return PyModule_Create(&module);
}

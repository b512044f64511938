/* glibc keeps a thread's kernel TID inside its struct pthread, whose address is the
 * pthread_t. CPython before 3.8 only records the pthread_t, so to name a thread's
 * TID we need where glibc keeps it. */
#ifndef PYATTACH_PTHREAD_TID_H
#define PYATTACH_PTHREAD_TID_H

#include <stdint.h>

/* The byte offset of the TID inside struct pthread, found by looking at a thread of
 * our own (the target normally uses the same glibc); -1 if not found. */
int32_t pa_pthread_tid_offset(void);

#endif

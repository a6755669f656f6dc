// The thread state each thread released the GIL with, while swiftssl holds it released (see
// GILRelease.swift): C's _Thread_local, which Swift has no spelling for.
#include "swiftssl_module.h"

static _Thread_local PyThreadState *released_thread_state;

PyThreadState *swiftssl_released_thread_state(void) {
    return released_thread_state;
}

void swiftssl_set_released_thread_state(PyThreadState *state) {
    released_thread_state = state;
}

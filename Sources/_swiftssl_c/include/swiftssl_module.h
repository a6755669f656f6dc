// The C half of the extension module: type objects and method tables whose entries are Swift
// functions exported with @_cdecl from SwiftSSLPython. Nothing here knows about TLS.
#ifndef SWIFTSSL_MODULE_H
#define SWIFTSSL_MODULE_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/// The native object kinds; each wraps one retained Swift object.
typedef enum {
    SwiftSSLKindContext = 0,
    SwiftSSLKindConnection = 1,
    SwiftSSLKindMemoryBuffer = 2,
    SwiftSSLKindSession = 3,
    SwiftSSLKindCount = 4
} SwiftSSLKind;

/// A new native object of `kind` owning one retain of `core`, or NULL with an exception set. Its
/// type is the one of the module that made `anchor`'s native type (the object it comes from: a
/// connection's context, a session's connection), so each interpreter's objects stay its own.
PyObject *swiftssl_wrap_core(PyObject *anchor, SwiftSSLKind kind, void *core);
/// Like swiftssl_wrap_core, but an instance of `type`, a Python subclass of the kind's type.
PyObject *swiftssl_wrap_core_as(PyObject *type, SwiftSSLKind kind, void *core);
/// The Swift object inside `object`, or NULL with TypeError set when it is not of `kind`.
void *swiftssl_unwrap_core(PyObject *object, SwiftSSLKind kind);

/// The thread state this thread released the GIL with in swiftssl's `withoutGIL`, while it is
/// released there, else NULL. Callbacks from OpenSSL re-take the GIL with it, so they run in the
/// interpreter that made the call (PyGILState_Ensure knows one thread state per thread).
PyThreadState *swiftssl_released_thread_state(void);
/// Records (or, with NULL, forgets) this thread's released thread state.
void swiftssl_set_released_thread_state(PyThreadState *state);

// Implemented in Swift (SwiftSSLPython).
typedef PyObject *(*SwiftSSLFastMethod)(PyObject *, PyObject *const *, Py_ssize_t);
void swiftssl_core_release(void *core);
void *swiftssl_context_create(PyObject *args);
void *swiftssl_memory_buffer_create(PyObject *args, PyObject *kwargs);

#define SWIFTSSL_METHOD(name) PyObject *name(PyObject *, PyObject *const *, Py_ssize_t);
#include "swiftssl_methods.def"
#undef SWIFTSSL_METHOD
#endif

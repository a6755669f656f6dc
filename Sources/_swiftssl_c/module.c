// PyInit__swiftssl: the module object, four native types and their method tables. Every method
// is a Swift function (see swiftssl_methods.def); this file only lays out what CPython needs.
//
// Multi-phase initialisation (PEP 489): every interpreter that imports the module gets its own
// module object and its own four types (kept in the module's state), so subinterpreters, those
// with a GIL of their own included, share nothing Python-side. Native objects are recognised by
// their native base type's slots, whichever interpreter made the type.
#include <pthread.h>
#include <stdlib.h>
#include "swiftssl_module.h"

/// A native object: the Python header and one retained Swift object.
typedef struct {
    PyObject_HEAD
    void *core;
} SwiftSSLObject;

/// A module's state: its four native types (strong references), in SwiftSSLKind order.
typedef struct {
    PyTypeObject *types[SwiftSSLKindCount];
} SwiftSSLModuleState;

static const char *const swiftssl_type_names[SwiftSSLKindCount] = {"_SSLContext", "_SSLSocket", "MemoryBIO", "SSLSession"};

static void swiftssl_dealloc(PyObject *self) {
    PyTypeObject *type = Py_TYPE(self);
    void *core = ((SwiftSSLObject *)self)->core;
    ((SwiftSSLObject *)self)->core = NULL;
    if (core) {
        swiftssl_core_release(core);
    }
    freefunc release = (freefunc)PyType_GetSlot(type, Py_tp_free);
    release(self);
    // Instances of heap types own a reference to their type.
    Py_DECREF(type);
}

static PyObject *swiftssl_new_with(PyTypeObject *type, void *core) {
    allocfunc allocate = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
    SwiftSSLObject *self = (SwiftSSLObject *)allocate(type, 0);
    if (self == NULL) {
        if (core) swiftssl_core_release(core);
        return NULL;
    }
    self->core = core;
    return (PyObject *)self;
}

static PyObject *context_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    (void)kwargs;
    void *core = swiftssl_context_create(args);
    if (core == NULL) return NULL;
    return swiftssl_new_with(type, core);
}

static PyObject *memory_buffer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    void *core = swiftssl_memory_buffer_create(args, kwargs);
    if (core == NULL) return NULL;
    return swiftssl_new_with(type, core);
}

static PyObject *connection_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    (void)type; (void)args; (void)kwargs;
    PyErr_SetString(PyExc_TypeError, "connections are made by SSLContext.wrap_socket() or wrap_bio()");
    return NULL;
}

static PyObject *session_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    (void)type; (void)args; (void)kwargs;
    PyErr_SetString(PyExc_TypeError, "sessions are made by TLS connections: read SSLSocket.session");
    return NULL;
}

/// The native base of `type` (the type itself, or the first of its bases that is one of this
/// module's types, in any interpreter) and its kind; NULL when there is none. Python subclasses
/// have their own tp_dealloc, so the walk stops at the type whose dealloc is ours, and its
/// tp_new, one function per kind, names the kind.
static PyTypeObject *swiftssl_native_base(PyTypeObject *type, SwiftSSLKind *kind) {
    static const newfunc constructors[SwiftSSLKindCount] = {context_new, connection_new, memory_buffer_new, session_new};
    for (; type != NULL; type = (PyTypeObject *)PyType_GetSlot(type, Py_tp_base)) {
        if (PyType_GetSlot(type, Py_tp_dealloc) != (void *)swiftssl_dealloc) continue;
        newfunc constructor = (newfunc)PyType_GetSlot(type, Py_tp_new);
        for (int index = 0; index < SwiftSSLKindCount; index++) {
            if (constructor == constructors[index]) {
                *kind = (SwiftSSLKind)index;
                return type;
            }
        }
        return NULL;
    }
    return NULL;
}

PyObject *swiftssl_wrap_core(PyObject *anchor, SwiftSSLKind kind, void *core) {
    SwiftSSLKind anchor_kind;
    PyTypeObject *native = anchor == NULL ? NULL : swiftssl_native_base(Py_TYPE(anchor), &anchor_kind);
    SwiftSSLModuleState *state = native == NULL ? NULL : PyType_GetModuleState(native);
    if (state == NULL || state->types[kind] == NULL) {
        swiftssl_core_release(core);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "swiftssl: no native type to make this object with");
        return NULL;
    }
    return swiftssl_new_with(state->types[kind], core);
}

PyObject *swiftssl_wrap_core_as(PyObject *type, SwiftSSLKind kind, void *core) {
    SwiftSSLKind type_kind;
    if (!PyType_Check(type) || swiftssl_native_base((PyTypeObject *)type, &type_kind) == NULL || type_kind != kind) {
        swiftssl_core_release(core);
        PyErr_SetString(PyExc_TypeError, "expected a subclass of the native type");
        return NULL;
    }
    return swiftssl_new_with((PyTypeObject *)type, core);
}

void *swiftssl_unwrap_core(PyObject *object, SwiftSSLKind kind) {
    SwiftSSLKind object_kind;
    if (object == NULL || swiftssl_native_base(Py_TYPE(object), &object_kind) == NULL || object_kind != kind ||
        ((SwiftSSLObject *)object)->core == NULL) {
        PyErr_Format(PyExc_TypeError, "expected a swiftssl %s", swiftssl_type_names[kind]);
        return NULL;
    }
    return ((SwiftSSLObject *)object)->core;
}

/// The method tables, in the order of SwiftSSLKind, with the module's own table last.
typedef enum {
    SwiftSSLTable_context = SwiftSSLKindContext,
    SwiftSSLTable_connection = SwiftSSLKindConnection,
    SwiftSSLTable_memory_buffer = SwiftSSLKindMemoryBuffer,
    SwiftSSLTable_session = SwiftSSLKindSession,
    SwiftSSLTable_module = SwiftSSLKindCount,
    SwiftSSLTableCount
} SwiftSSLTable;

/// Every method once, tagged with its table (swiftssl_methods.def is the single list).
static const struct {
    SwiftSSLTable table;
    PyMethodDef method;
} swiftssl_all_methods[] = {
#define SWIFTSSL_ENTRY(table, pyname, symbol) \
    {SwiftSSLTable_##table, {pyname, (PyCFunction)(void (*)(void))symbol, METH_FASTCALL, NULL}},
#include "swiftssl_methods.def"
};

/// One table's methods as the NULL-terminated array CPython wants. Made once, by the first
/// import in the process, and kept for its life: every interpreter's module and types point at
/// it, so it comes from C's allocator (not an interpreter's, which ends with that interpreter).
static PyMethodDef *swiftssl_methods_for(SwiftSSLTable table) {
    size_t total = sizeof(swiftssl_all_methods) / sizeof(swiftssl_all_methods[0]);
    PyMethodDef *methods = calloc(total + 1, sizeof(PyMethodDef));  // zeroed: terminated
    if (methods == NULL) return NULL;
    size_t count = 0;
    for (size_t index = 0; index < total; index++) {
        if (swiftssl_all_methods[index].table == table) {
            methods[count++] = swiftssl_all_methods[index].method;
        }
    }
    return methods;
}

/// Points a type's Py_tp_methods slot at its table.
static int swiftssl_install_methods(PyType_Slot *slots, SwiftSSLTable table) {
    for (; slots->slot != 0; slots++) {
        if (slots->slot == Py_tp_methods) {
            slots->pfunc = swiftssl_methods_for(table);
            return slots->pfunc == NULL ? -1 : 0;
        }
    }
    return 0;
}

static PyType_Slot context_slots[] = {
    {Py_tp_new, context_new},
    {Py_tp_dealloc, swiftssl_dealloc},
    {Py_tp_methods, NULL},  // filled in by PyInit
    {Py_tp_doc, "The native half of SSLContext: one swiftssl TLSContext."},
    {0, NULL},
};
// CPython's _SSLSocket exposes `owner`, `context`, `server_side`, `server_hostname` and
// `session_reused` as attributes (SSLObject's `_sslobj` is this type); each accessor calls the
// Swift method of the same meaning.
static PyObject *connection_get_owner(PyObject *self, void *closure) {
    (void)closure;
    return swiftssl_connection_get_owner(self, NULL, 0);
}
static int connection_set_owner(PyObject *self, PyObject *value, void *closure) {
    (void)closure;
    PyObject *argument = value ? value : Py_None;
    PyObject *result = swiftssl_connection_set_owner(self, &argument, 1);
    if (result == NULL) return -1;
    Py_DECREF(result);
    return 0;
}
static PyObject *connection_get_context(PyObject *self, void *closure) {
    (void)closure;
    return swiftssl_connection_get_context(self, NULL, 0);
}
static int connection_set_context(PyObject *self, PyObject *value, void *closure) {
    (void)closure;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete context");
        return -1;
    }
    PyObject *result = swiftssl_connection_set_context(self, &value, 1);
    if (result == NULL) return -1;
    Py_DECREF(result);
    return 0;
}
static PyObject *connection_get_server_side(PyObject *self, void *closure) {
    (void)closure;
    return swiftssl_connection_is_server_side(self, NULL, 0);
}
static PyObject *connection_get_server_hostname(PyObject *self, void *closure) {
    (void)closure;
    return swiftssl_connection_server_hostname(self, NULL, 0);
}
static PyObject *connection_get_session_reused(PyObject *self, void *closure) {
    (void)closure;
    return swiftssl_connection_session_reused(self, NULL, 0);
}
static PyGetSetDef connection_getset[] = {
    {"owner", connection_get_owner, connection_set_owner, NULL, NULL},
    {"context", connection_get_context, connection_set_context, NULL, NULL},
    {"server_side", connection_get_server_side, NULL, NULL, NULL},
    {"server_hostname", connection_get_server_hostname, NULL, NULL, NULL},
    {"session_reused", connection_get_session_reused, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot connection_slots[] = {
    {Py_tp_getset, connection_getset},
    {Py_tp_new, connection_new},
    {Py_tp_dealloc, swiftssl_dealloc},
    {Py_tp_methods, NULL},  // filled in by PyInit
    {Py_tp_doc, "The native half of SSLSocket and SSLObject: one swiftssl TLSConnection."},
    {0, NULL},
};
static PyType_Slot memory_buffer_slots[] = {
    {Py_tp_new, memory_buffer_new},
    {Py_tp_dealloc, swiftssl_dealloc},
    {Py_tp_methods, NULL},  // filled in by PyInit
    {Py_tp_doc, "The native half of MemoryBIO: one swiftssl TLSMemoryBuffer."},
    {0, NULL},
};

static PyType_Slot session_slots[] = {
    {Py_tp_new, session_new},
    {Py_tp_dealloc, swiftssl_dealloc},
    {Py_tp_methods, NULL},  // filled in by PyInit
    {Py_tp_doc, "The native half of SSLSession: one swiftssl TLSSession."},
    {0, NULL},
};

static PyType_Spec type_specs[SwiftSSLKindCount] = {
    {"swiftssl._swiftssl._SSLContext", sizeof(SwiftSSLObject), 0,
     Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, context_slots},
    {"swiftssl._swiftssl._SSLSocket", sizeof(SwiftSSLObject), 0,
     Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, connection_slots},
    {"swiftssl._swiftssl.MemoryBIO", sizeof(SwiftSSLObject), 0,
     Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, memory_buffer_slots},
    {"swiftssl._swiftssl.SSLSession", sizeof(SwiftSSLObject), 0,
     Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE, session_slots},
};

/// Py_mod_exec: makes this module's own four types and publishes them.
static int swiftssl_exec(PyObject *module) {
    SwiftSSLModuleState *state = PyModule_GetState(module);
    if (state == NULL) return -1;
    for (int kind = 0; kind < SwiftSSLKindCount; kind++) {
        PyObject *type = PyType_FromModuleAndSpec(module, &type_specs[kind], NULL);
        if (type == NULL) return -1;
        state->types[kind] = (PyTypeObject *)type;  // the state's reference
        if (PyModule_AddObjectRef(module, swiftssl_type_names[kind], type) < 0) return -1;
    }
    return 0;
}

static int swiftssl_traverse(PyObject *module, visitproc visit, void *arg) {
    SwiftSSLModuleState *state = PyModule_GetState(module);
    for (int kind = 0; state != NULL && kind < SwiftSSLKindCount; kind++) {
        Py_VISIT(state->types[kind]);
    }
    return 0;
}

static int swiftssl_clear(PyObject *module) {
    SwiftSSLModuleState *state = PyModule_GetState(module);
    for (int kind = 0; state != NULL && kind < SwiftSSLKindCount; kind++) {
        Py_CLEAR(state->types[kind]);
    }
    return 0;
}

static void swiftssl_free(void *module) {
    swiftssl_clear((PyObject *)module);
}

// CPython 3.12's Py_mod_multiple_interpreters and its "per-interpreter GIL supported" value,
// which the 3.11 limited API this is built against does not name; 3.11 refuses unknown slots, so
// PyInit adds it only when the running interpreter is 3.12 or later.
#define SWIFTSSL_MOD_MULTIPLE_INTERPRETERS 3
#define SWIFTSSL_MOD_PER_INTERPRETER_GIL_SUPPORTED ((void *)2)

static PyModuleDef_Slot swiftssl_module_slots[] = {
    {Py_mod_exec, (void *)swiftssl_exec},
    {0, NULL},  // Py_mod_multiple_interpreters on 3.12+, filled in by PyInit
    {0, NULL},
};

static struct PyModuleDef swiftssl_module = {
    PyModuleDef_HEAD_INIT, "_swiftssl",
    "The native core of swiftssl: Swift over OpenSSL 3, exposed through the stable ABI.",
    sizeof(SwiftSSLModuleState), NULL, swiftssl_module_slots,  // m_methods filled in by PyInit
    swiftssl_traverse, swiftssl_clear, swiftssl_free,
};

static pthread_once_t swiftssl_tables_once = PTHREAD_ONCE_INIT;
static int swiftssl_tables_ready;

/// Fills in the method tables and the module's slots, once per process (interpreters with their
/// own GIL may import the module at the same time).
static void swiftssl_prepare_tables(void) {
    swiftssl_module.m_methods = swiftssl_methods_for(SwiftSSLTable_module);
    if (swiftssl_module.m_methods == NULL) return;
    for (int kind = 0; kind < SwiftSSLKindCount; kind++) {
        if (swiftssl_install_methods(type_specs[kind].slots, (SwiftSSLTable)kind) < 0) return;
    }
    if (Py_Version >= 0x030C0000) {
        swiftssl_module_slots[1].slot = SWIFTSSL_MOD_MULTIPLE_INTERPRETERS;
        swiftssl_module_slots[1].value = SWIFTSSL_MOD_PER_INTERPRETER_GIL_SUPPORTED;
    }
    swiftssl_tables_ready = 1;
}

PyMODINIT_FUNC PyInit__swiftssl(void) {
    pthread_once(&swiftssl_tables_once, swiftssl_prepare_tables);
    if (!swiftssl_tables_ready) return PyErr_NoMemory();
    return PyModuleDef_Init(&swiftssl_module);
}

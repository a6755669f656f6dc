// PyInit__swiftssl: the module object, three native types and their method tables. Every method
// is a Swift function (see swiftssl_methods.def); this file only lays out what CPython needs.
#include "swiftssl_module.h"

/// A native object: the Python header and one retained Swift object.
typedef struct {
    PyObject_HEAD
    void *core;
} SwiftSSLObject;

static PyTypeObject *swiftssl_types[SwiftSSLKindCount];

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
    (void)kwargs;
    void *core = swiftssl_memory_buffer_create(args);
    if (core == NULL) return NULL;
    return swiftssl_new_with(type, core);
}

static PyObject *connection_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    (void)type; (void)args; (void)kwargs;
    PyErr_SetString(PyExc_TypeError, "connections are made by SSLContext.wrap_socket() or wrap_bio()");
    return NULL;
}

PyObject *swiftssl_wrap_core(SwiftSSLKind kind, void *core) {
    return swiftssl_new_with(swiftssl_types[kind], core);
}

PyObject *swiftssl_wrap_core_as(PyObject *type, SwiftSSLKind kind, void *core) {
    if (!PyType_Check(type) || !PyType_IsSubtype((PyTypeObject *)type, swiftssl_types[kind])) {
        swiftssl_core_release(core);
        PyErr_SetString(PyExc_TypeError, "expected a subclass of the native type");
        return NULL;
    }
    return swiftssl_new_with((PyTypeObject *)type, core);
}

void *swiftssl_unwrap_core(PyObject *object, SwiftSSLKind kind) {
    if (object == NULL || !PyObject_TypeCheck(object, swiftssl_types[kind]) ||
        ((SwiftSSLObject *)object)->core == NULL) {
        static const char *const names[] = {"_SSLContext", "_SSLSocket", "MemoryBIO"};
        PyErr_Format(PyExc_TypeError, "expected a swiftssl %s", names[kind]);
        return NULL;
    }
    return ((SwiftSSLObject *)object)->core;
}

#define SWIFTSSL_FAST(pyname, symbol) {pyname, (PyCFunction)(void (*)(void))symbol, METH_FASTCALL, NULL},

static PyMethodDef module_methods[] = {
#define SWIFTSSL_ENTRY(table, pyname, symbol) SWIFTSSL_ENTRY_##table(pyname, symbol)
#define SWIFTSSL_ENTRY_module(pyname, symbol) SWIFTSSL_FAST(pyname, symbol)
#define SWIFTSSL_ENTRY_context(pyname, symbol)
#define SWIFTSSL_ENTRY_connection(pyname, symbol)
#define SWIFTSSL_ENTRY_memory_buffer(pyname, symbol)
#include "swiftssl_methods.def"
#undef SWIFTSSL_ENTRY_module
#undef SWIFTSSL_ENTRY_context
#undef SWIFTSSL_ENTRY_connection
#undef SWIFTSSL_ENTRY_memory_buffer
    {NULL, NULL, 0, NULL}
};

static PyMethodDef context_methods[] = {
#define SWIFTSSL_ENTRY(table, pyname, symbol) SWIFTSSL_ENTRY_##table(pyname, symbol)
#define SWIFTSSL_ENTRY_module(pyname, symbol)
#define SWIFTSSL_ENTRY_context(pyname, symbol) SWIFTSSL_FAST(pyname, symbol)
#define SWIFTSSL_ENTRY_connection(pyname, symbol)
#define SWIFTSSL_ENTRY_memory_buffer(pyname, symbol)
#include "swiftssl_methods.def"
#undef SWIFTSSL_ENTRY_module
#undef SWIFTSSL_ENTRY_context
#undef SWIFTSSL_ENTRY_connection
#undef SWIFTSSL_ENTRY_memory_buffer
    {NULL, NULL, 0, NULL}
};

static PyMethodDef connection_methods[] = {
#define SWIFTSSL_ENTRY(table, pyname, symbol) SWIFTSSL_ENTRY_##table(pyname, symbol)
#define SWIFTSSL_ENTRY_module(pyname, symbol)
#define SWIFTSSL_ENTRY_context(pyname, symbol)
#define SWIFTSSL_ENTRY_connection(pyname, symbol) SWIFTSSL_FAST(pyname, symbol)
#define SWIFTSSL_ENTRY_memory_buffer(pyname, symbol)
#include "swiftssl_methods.def"
#undef SWIFTSSL_ENTRY_module
#undef SWIFTSSL_ENTRY_context
#undef SWIFTSSL_ENTRY_connection
#undef SWIFTSSL_ENTRY_memory_buffer
    {NULL, NULL, 0, NULL}
};

static PyMethodDef memory_buffer_methods[] = {
#define SWIFTSSL_ENTRY(table, pyname, symbol) SWIFTSSL_ENTRY_##table(pyname, symbol)
#define SWIFTSSL_ENTRY_module(pyname, symbol)
#define SWIFTSSL_ENTRY_context(pyname, symbol)
#define SWIFTSSL_ENTRY_connection(pyname, symbol)
#define SWIFTSSL_ENTRY_memory_buffer(pyname, symbol) SWIFTSSL_FAST(pyname, symbol)
#include "swiftssl_methods.def"
#undef SWIFTSSL_ENTRY_module
#undef SWIFTSSL_ENTRY_context
#undef SWIFTSSL_ENTRY_connection
#undef SWIFTSSL_ENTRY_memory_buffer
    {NULL, NULL, 0, NULL}
};

static PyType_Slot context_slots[] = {
    {Py_tp_new, context_new},
    {Py_tp_dealloc, swiftssl_dealloc},
    {Py_tp_methods, context_methods},
    {Py_tp_doc, "The native half of SSLContext: one swiftssl TLSContext."},
    {0, NULL},
};
static PyType_Slot connection_slots[] = {
    {Py_tp_new, connection_new},
    {Py_tp_dealloc, swiftssl_dealloc},
    {Py_tp_methods, connection_methods},
    {Py_tp_doc, "The native half of SSLSocket and SSLObject: one swiftssl TLSConnection."},
    {0, NULL},
};
static PyType_Slot memory_buffer_slots[] = {
    {Py_tp_new, memory_buffer_new},
    {Py_tp_dealloc, swiftssl_dealloc},
    {Py_tp_methods, memory_buffer_methods},
    {Py_tp_doc, "The native half of MemoryBIO: one swiftssl TLSMemoryBuffer."},
    {0, NULL},
};

static PyType_Spec type_specs[SwiftSSLKindCount] = {
    {"swiftssl._swiftssl._SSLContext", sizeof(SwiftSSLObject), 0,
     Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, context_slots},
    {"swiftssl._swiftssl._SSLSocket", sizeof(SwiftSSLObject), 0,
     Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, connection_slots},
    {"swiftssl._swiftssl.MemoryBIO", sizeof(SwiftSSLObject), 0,
     Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, memory_buffer_slots},
};

static struct PyModuleDef swiftssl_module = {
    PyModuleDef_HEAD_INIT, "_swiftssl",
    "The native core of swiftssl: Swift over OpenSSL 3, exposed through the stable ABI.",
    -1, module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__swiftssl(void) {
    PyObject *module = PyModule_Create(&swiftssl_module);
    if (module == NULL) return NULL;
    static const char *const attribute_names[] = {"_SSLContext", "_SSLSocket", "MemoryBIO"};
    for (int kind = 0; kind < SwiftSSLKindCount; kind++) {
        PyObject *type = PyType_FromSpec(&type_specs[kind]);
        if (type == NULL || PyModule_AddObject(module, attribute_names[kind], type) < 0) {
            Py_XDECREF(type);
            Py_DECREF(module);
            return NULL;
        }
        Py_INCREF(type);  // the module's reference was stolen; this one stays in the table
        swiftssl_types[kind] = (PyTypeObject *)type;
    }
    return module;
}

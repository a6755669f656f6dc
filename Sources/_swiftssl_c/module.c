// PyInit__swiftssl: the module object, four native types and their method tables. Every method
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
        static const char *const names[] = {"_SSLContext", "_SSLSocket", "MemoryBIO", "SSLSession"};
        PyErr_Format(PyExc_TypeError, "expected a swiftssl %s", names[kind]);
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

/// One table's methods as the NULL-terminated array CPython wants. Made once at import and kept
/// for the life of the process, like the module itself (single-phase init, never unloaded).
static PyMethodDef *swiftssl_methods_for(SwiftSSLTable table) {
    size_t total = sizeof(swiftssl_all_methods) / sizeof(swiftssl_all_methods[0]);
    PyMethodDef *methods = PyMem_Calloc(total + 1, sizeof(PyMethodDef));  // zeroed: terminated
    if (methods == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
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
// CPython's _SSLSocket exposes `owner` and `context` as attributes (test_ssl reads them); each
// accessor calls the Swift method of the same meaning.
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
static PyGetSetDef connection_getset[] = {
    {"owner", connection_get_owner, connection_set_owner, NULL, NULL},
    {"context", connection_get_context, connection_set_context, NULL, NULL},
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

static struct PyModuleDef swiftssl_module = {
    PyModuleDef_HEAD_INIT, "_swiftssl",
    "The native core of swiftssl: Swift over OpenSSL 3, exposed through the stable ABI.",
    -1, NULL, NULL, NULL, NULL, NULL,  // m_methods filled in by PyInit
};

PyMODINIT_FUNC PyInit__swiftssl(void) {
    if (swiftssl_module.m_methods == NULL) {
        swiftssl_module.m_methods = swiftssl_methods_for(SwiftSSLTable_module);
        if (swiftssl_module.m_methods == NULL) return NULL;
        for (int kind = 0; kind < SwiftSSLKindCount; kind++) {
            if (swiftssl_install_methods(type_specs[kind].slots, (SwiftSSLTable)kind) < 0) return NULL;
        }
    }
    PyObject *module = PyModule_Create(&swiftssl_module);
    if (module == NULL) return NULL;
    static const char *const attribute_names[] = {"_SSLContext", "_SSLSocket", "MemoryBIO", "SSLSession"};
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

// Python.h for the Swift glue, under the stable ABI of CPython 3.11 (set by Package.swift).
// libpython is deliberately not linked: the interpreter that loads the extension provides it.
#ifndef CSWIFTSSL_PYTHON_SHIM_H
#define CSWIFTSSL_PYTHON_SHIM_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/// Py_None and friends are macros over private globals; these give Swift new references.
static inline PyObject *CSwiftSSLPy_NewNone(void) { Py_INCREF(Py_None); return Py_None; }
static inline PyObject *CSwiftSSLPy_NewBool(int value) { return PyBool_FromLong(value); }
static inline PyObject *CSwiftSSLPy_None(void) { return Py_None; }
static inline void CSwiftSSLPy_IncRef(PyObject *object) { Py_INCREF(object); }
static inline void CSwiftSSLPy_DecRef(PyObject *object) { Py_DECREF(object); }
static inline void CSwiftSSLPy_XDecRef(PyObject *object) { Py_XDECREF(object); }
static inline int CSwiftSSLPy_IsNone(PyObject *object) { return object == Py_None; }
/// Type checks that CPython spells as macros.
static inline int CSwiftSSLPy_IsUnicode(PyObject *object) { return PyUnicode_Check(object); }
static inline int CSwiftSSLPy_IsBytes(PyObject *object) { return PyBytes_Check(object); }
static inline int CSwiftSSLPy_IsByteArray(PyObject *object) { return PyByteArray_Check(object); }
static inline int CSwiftSSLPy_IsLong(PyObject *object) { return PyLong_Check(object); }
static inline int CSwiftSSLPy_IsDict(PyObject *object) { return PyDict_Check(object); }
static inline int CSwiftSSLPy_IsTuple(PyObject *object) { return PyTuple_Check(object); }
static inline int CSwiftSSLPy_IsList(PyObject *object) { return PyList_Check(object); }
#endif

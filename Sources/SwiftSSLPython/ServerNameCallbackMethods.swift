@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `_set_sni_callback(callable_or_None)`: turns the server-name hook on or off; during the
/// handshake the Python context's `_sni_callback` attribute (which the Python layer sets to the
/// same callable) is called as `callable(owner, server_name, context)` with the GIL held.
@_cdecl("swiftssl_context_set_sni_callback")
func contextSetSNICallback(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_sni_callback", arguments: 1...1) { box, arguments in
        guard let callable = arguments.optional(0) else {
            box.context.serverNameCallback = nil
            return newNone()
        }
        guard PyCallable_Check(callable) != 0 else { throw PythonError.typeError("not a callable object") }
        // The callable is not kept here: it is read from the Python context's `_sni_callback`
        // at handshake time. A native reference would be invisible to Python's cycle collector,
        // and callbacks commonly refer back to their context (CPython's test_sni_callback_refcycle).
        box.context.serverNameCallback = { connection, serverName in
            withGIL { ServerNameDispatch.callContextCallback(connection: connection, serverName: serverName) }
        }
        return newNone()
    }
}

/// Calls a Python SNI callback the way CPython does: None continues, an int is an alert, and an
/// exception is reported as unraisable and becomes a handshake_failure alert.
enum ServerNameDispatch {
    static let handshakeFailure: Int32 = 40
    static let internalError: Int32 = 80

    /// Calls the `_sni_callback` attribute of the connection's Python context, if set.
    static func callContextCallback(connection: TLSConnection, serverName: String?) -> ServerNameDecision {
        guard let box = connection.box else { return .alert(internalError) }
        guard let callable = PyObject_GetAttrString(box.contextObject, "_sni_callback") else {
            PyErr_Clear()
            return .alert(internalError)
        }
        defer { CSwiftSSLPy_DecRef(callable) }
        if CSwiftSSLPy_IsNone(callable) != 0 { return .accept }
        return call(callable, connection: connection, serverName: serverName)
    }

    static func call(_ callable: PyObjectPointer, connection: TLSConnection, serverName: String?) -> ServerNameDecision {
        guard let box = connection.box, let owner = box.ownerObject() else {
            PyErr_Clear()
            return .alert(internalError)
        }
        if CSwiftSSLPy_IsNone(owner) != 0 {
            CSwiftSSLPy_DecRef(owner)
            return .alert(internalError)
        }
        let contextObject = box.contextObject
        CSwiftSSLPy_IncRef(contextObject)
        guard let arguments = try? newTuple([owner, serverName.map(newString) ?? newNone(), contextObject]) else {
            PyErr_WriteUnraisable(callable)
            return .alert(internalError)
        }
        defer { CSwiftSSLPy_DecRef(arguments) }
        guard let result = PyObject_CallObject(callable, arguments) else {
            PyErr_WriteUnraisable(callable)
            return .alert(handshakeFailure)
        }
        defer { CSwiftSSLPy_DecRef(result) }
        if CSwiftSSLPy_IsNone(result) != 0 { return .accept }
        let alert = PyLong_AsLong(result)
        if alert == -1, PyErr_Occurred() != nil {
            PyErr_WriteUnraisable(result)  // the value returned, as CPython reports it
            return .alert(internalError)
        }
        return .alert(Int32(truncatingIfNeeded: alert))
    }
}

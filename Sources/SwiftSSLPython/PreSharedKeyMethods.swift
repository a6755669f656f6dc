@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `_set_psk_client_callback(callable_or_None)`: turns the client's TLS-PSK hook on or off, with
/// CPython 3.13's checks. As for SNI, the callable itself lives in the Python context's
/// `_psk_client_callback` attribute (set by the Python layer), where the cycle collector sees it.
@_cdecl("swiftssl_context_set_psk_client_callback")
func contextSetPreSharedKeyClientCallback(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "set_psk_client_callback", arguments: 1...1) { box, arguments in
        guard let callable = arguments.optional(0) else {
            try box.context.setPreSharedKeyClientCallback(nil)
            return newNone()
        }
        try PreSharedKeyDispatch.requireCallable(callable, refusedBy: box.context.protocolSelection == .tlsServer)
        try box.context.setPreSharedKeyClientCallback { connection, hint in
            withGIL { PreSharedKeyDispatch.offer(connection: connection, hint: hint) }
        }
        return newNone()
    }
}

/// `_set_psk_server_callback(callable_or_None, identity_hint)`: the server's hook and the hint a
/// TLS 1.2 server sends; the callable lives in the Python context's `_psk_server_callback`.
@_cdecl("swiftssl_context_set_psk_server_callback")
func contextSetPreSharedKeyServerCallback(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "set_psk_server_callback", arguments: 2...2) { box, arguments in
        // CPython's argument clinic converts the hint before anything else is checked.
        let hint = try PreSharedKeyDispatch.identityHint(arguments.optional(1))
        guard let callable = arguments.optional(0) else {
            try box.context.setPreSharedKeyServerCallback(nil)
            return newNone()
        }
        try PreSharedKeyDispatch.requireCallable(callable, refusedBy: box.context.protocolSelection == .tlsClient)
        try box.context.setPreSharedKeyServerCallback({ connection, identity in
            withGIL { PreSharedKeyDispatch.key(connection: connection, identity: identity) }
        }, identityHint: hint)
        return newNone()
    }
}

/// Calls the Python PSK callbacks during a handshake (GIL held) and converts what they return as
/// CPython 3.13 does: an exception or a value of the wrong shape is reported as unraisable (with
/// CPython's messages) and fails the handshake.
enum PreSharedKeyDispatch {
    /// CPython checks the side before the callable; the side check is the core's.
    static func requireCallable(_ callable: PyObjectPointer, refusedBy wrongSide: Bool) throws {
        if !wrongSide && PyCallable_Check(callable) == 0 {
            throw PythonError.typeError("callback must be callable")
        }
    }

    /// The `identity_hint` argument as CPython's clinic takes `str(accept={str, NoneType})`.
    static func identityHint(_ object: PyObjectPointer?) throws -> String? {
        guard let object else { return nil }
        guard CSwiftSSLPy_IsUnicode(object) != 0 else {
            throw PythonError.typeError(
                "set_psk_server_callback() argument 'identity_hint' must be str or None, not \(typeName(object))")
        }
        let text = try pythonString(object, what: "identity_hint")
        if text.utf8.contains(0) { throw PythonError.valueError("embedded null character") }
        return text
    }

    /// The client's `(identity, psk)` from `_psk_client_callback(hint)`, or nil.
    static func offer(connection: TLSConnection, hint: String?) -> PreSharedKeyOffer? {
        guard let callable = contextCallable(connection, "_psk_client_callback") else { return nil }
        defer { CSwiftSSLPy_DecRef(callable) }
        guard let result = call(callable, with: hint) else { return nil }
        defer { CSwiftSSLPy_DecRef(result) }
        do {
            guard CSwiftSSLPy_IsTuple(result) != 0 else {
                PyErr_SetString(PyExc_SystemError, "new style getargs format but argument is not a tuple")
                throw PythonError.alreadySet
            }
            let size = PyTuple_Size(result)
            guard size == 2, let identityObject = PyTuple_GetItem(result, 0),
                  let keyObject = PyTuple_GetItem(result, 1) else {
                throw PythonError.typeError("function takes exactly 2 arguments (\(size) given)")
            }
            // CPython's "z#": None (no identity), a str as UTF-8, or bytes.
            let identity: [UInt8]
            if CSwiftSSLPy_IsNone(identityObject) != 0 {
                identity = []
            } else if CSwiftSSLPy_IsUnicode(identityObject) != 0 {
                var length: Py_ssize_t = 0
                guard let text = PyUnicode_AsUTF8AndSize(identityObject, &length) else { throw PythonError.alreadySet }
                identity = Array(UnsafeRawBufferPointer(start: text, count: length))
            } else {
                identity = try readOnlyBytes(identityObject, position: 1) { Array($0) }
            }
            let key = try readOnlyBytes(keyObject, position: 2) { SensitiveBytes(copying: $0) }
            return PreSharedKeyOffer(identity: identity, key: key)
        } catch {
            raise(error)
            PyErr_WriteUnraisable(callable)
            return nil
        }
    }

    /// The server's key from `_psk_server_callback(identity)` (bytes, as `PyBytes_AsStringAndSize`
    /// takes it), or nil.
    static func key(connection: TLSConnection, identity: String?) -> SensitiveBytes? {
        guard let callable = contextCallable(connection, "_psk_server_callback") else { return nil }
        defer { CSwiftSSLPy_DecRef(callable) }
        guard let result = call(callable, with: identity) else { return nil }
        defer { CSwiftSSLPy_DecRef(result) }
        do {
            guard CSwiftSSLPy_IsBytes(result) != 0 else {
                throw PythonError.typeError("expected bytes, \(typeName(result)) found")
            }
            return try withBuffer(result) { SensitiveBytes(copying: UnsafeRawBufferPointer($0)) }
        } catch {
            raise(error)
            PyErr_WriteUnraisable(callable)
            return nil
        }
    }

    /// The named callback of the connection's Python context (a new reference), or nil when
    /// there is none.
    private static func contextCallable(_ connection: TLSConnection, _ name: String) -> PyObjectPointer? {
        guard let box = connection.box else { return nil }
        guard let callable = PyObject_GetAttrString(box.contextObject, name) else {
            PyErr_Clear()
            return nil
        }
        if CSwiftSSLPy_IsNone(callable) != 0 {
            CSwiftSSLPy_DecRef(callable)
            return nil
        }
        return callable
    }

    /// `callable(text or None)`; an exception is reported as unraisable and gives nil.
    private static func call(_ callable: PyObjectPointer, with text: String?) -> PyObjectPointer? {
        guard let argument = text.map(newString) ?? newNone(),
              let arguments = try? newTuple([argument]) else {
            PyErr_WriteUnraisable(callable)
            return nil
        }
        defer { CSwiftSSLPy_DecRef(arguments) }
        guard let result = PyObject_CallObject(callable, arguments) else {
            PyErr_WriteUnraisable(callable)
            return nil
        }
        return result
    }

    /// The contents of `object` as CPython's `y#` takes them: bytes only, with its messages.
    private static func readOnlyBytes<Result>(
        _ object: PyObjectPointer, position: Int, _ body: (UnsafeRawBufferPointer) -> Result
    ) throws -> Result {
        guard CSwiftSSLPy_IsBytes(object) != 0 else {
            if isBytesLike(object) {
                throw PythonError.typeError(
                    "argument \(position) must be read-only bytes-like object, not \(typeName(object))")
            }
            throw PythonError.typeError("a bytes-like object is required, not '\(typeName(object))'")
        }
        return try withBuffer(object) { body(UnsafeRawBufferPointer($0)) }
    }
}

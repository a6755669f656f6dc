@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `_set_alpn_protocols(names)`: a sequence of str.
@_cdecl("swiftssl_context_set_alpn_protocols")
func contextSetALPNProtocols(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindContext, as: ContextBox.self)
        let arguments = try Arguments(vector, count, function: "set_alpn_protocols", expected: 1...1)
        let sequence = try checked(PySequence_List(try arguments.object(0)))
        defer { CSwiftSSLPy_DecRef(sequence) }
        var names: [String] = []
        for index in 0..<PyList_Size(sequence) {
            guard let item = PyList_GetItem(sequence, index) else { throw PythonError.alreadySet }
            names.append(try pythonString(item, what: "ALPN protocol"))
        }
        try box.context.setALPNProtocols(names)
        return newNone()
    }
}

@_cdecl("swiftssl_context_get_post_handshake_auth")
func contextGetPostHandshakeAuth(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindContext, as: ContextBox.self)
        _ = try Arguments(vector, count, function: "_get_post_handshake_auth", expected: 0...0)
        return newBool(box.context.postHandshakeAuthentication)
    }
}

@_cdecl("swiftssl_context_set_post_handshake_auth")
func contextSetPostHandshakeAuth(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindContext, as: ContextBox.self)
        let arguments = try Arguments(vector, count, function: "_set_post_handshake_auth", expected: 1...1)
        try box.context.setPostHandshakeAuthentication(try arguments.bool(0))
        return newNone()
    }
}

@_cdecl("swiftssl_connection_selected_alpn_protocol")
func connectionSelectedALPNProtocol(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindConnection, as: ConnectionBox.self)
        _ = try Arguments(vector, count, function: "selected_alpn_protocol", expected: 0...0)
        return box.connection.selectedALPNProtocol.map(newString) ?? newNone()
    }
}

@_cdecl("swiftssl_connection_verify_client_post_handshake")
func connectionVerifyClientPostHandshake(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindConnection, as: ConnectionBox.self)
        _ = try Arguments(vector, count, function: "verify_client_post_handshake", expected: 0...0)
        try box.connection.requestPostHandshakeAuthentication()
        return newNone()
    }
}

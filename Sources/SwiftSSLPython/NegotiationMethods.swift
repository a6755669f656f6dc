@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `_set_alpn_protocols(names)`: an iterable of ASCII str, checked one by one in order as ssl.py
/// does (`bytes(name, "ascii")`, then the length), so the first bad name decides the error.
@_cdecl("swiftssl_context_set_alpn_protocols")
func contextSetALPNProtocols(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "set_alpn_protocols", arguments: 1...1) { box, arguments in
        let sequence = try checked(PySequence_List(try arguments.object(0)))
        defer { CSwiftSSLPy_DecRef(sequence) }
        var names: [String] = []
        for index in 0..<PyList_Size(sequence) {
            guard let item = PyList_GetItem(sequence, index) else { throw PythonError.alreadySet }
            guard CSwiftSSLPy_IsUnicode(item) != 0 else {
                throw PythonError.typeError("encoding without a string argument")
            }
            let name = try asciiString(item)
            try TLSContext.checkALPNProtocolName(name)
            names.append(name)
        }
        try box.context.setALPNProtocols(names)
        return newNone()
    }
}

@_cdecl("swiftssl_context_get_post_handshake_auth")
func contextGetPostHandshakeAuth(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_post_handshake_auth", arguments: 0...0) { box, _ in
        newBool(box.context.postHandshakeAuthentication)
    }
}

@_cdecl("swiftssl_context_set_post_handshake_auth")
func contextSetPostHandshakeAuth(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_post_handshake_auth", arguments: 1...1) { box, arguments in
        try box.context.setPostHandshakeAuthentication(try arguments.bool(0))
        return newNone()
    }
}

@_cdecl("swiftssl_connection_selected_alpn_protocol")
func connectionSelectedALPNProtocol(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "selected_alpn_protocol", arguments: 0...0) { box, _ in
        box.connection.selectedALPNProtocol.map(newString) ?? newNone()
    }
}

@_cdecl("swiftssl_connection_verify_client_post_handshake")
func connectionVerifyClientPostHandshake(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "verify_client_post_handshake", arguments: 0...0) { box, _ in
        // Numbered as CPython's _setSSLError numbers it: errno is OpenSSL's reason.
        try withSetSSLErrorNumbers { try box.connection.requestPostHandshakeAuthentication() }
        return newNone()
    }
}

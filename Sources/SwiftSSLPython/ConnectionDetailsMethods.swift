@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `_tls_unique()`: the tls-unique channel binding as bytes, or None before the handshake.
@_cdecl("swiftssl_connection_tls_unique")
func connectionTLSUnique(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_tls_unique", arguments: 0...0) { box, _ in
        guard let binding = box.connection.tlsUniqueChannelBinding else { return newNone() }
        return binding.withUnsafeBytes(newBytes)
    }
}

/// `shared_ciphers()`: `[(name, protocol, secret_bits), ...]` on the server side, else None.
@_cdecl("swiftssl_connection_shared_ciphers")
func connectionSharedCiphers(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "shared_ciphers", arguments: 0...0) { box, _ in
        guard let ciphers = box.connection.sharedCiphers else { return newNone() }
        return try newList(ciphers) { cipher in
            try newTuple([newString(cipher.name), newString(cipher.protocolVersion), newInt(cipher.secretBits)])
        }
    }
}

/// `_get_owner()`: the SSLSocket or SSLObject this connection belongs to, or None when gone.
@_cdecl("swiftssl_connection_get_owner")
func connectionGetOwner(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_get_owner", arguments: 0...0) { box, _ in
        box.ownerObject()
    }
}

/// `_register_certificate_class(callable)`: `callable(der_bytes)` makes a `Certificate`
/// (`swiftssl/_certificate_object.py` registers it at import, in each interpreter).
@_cdecl("swiftssl_register_certificate_class")
func registerCertificateClass(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let arguments = try Arguments(vector, count, function: "_register_certificate_class", expected: 1...1)
        try InterpreterRegistry.register(try arguments.object(0), as: .certificateFactory)
        return newNone()
    }
}

/// A list of `Certificate` objects for `chain`, or None for nil.
private func certificateList(_ chain: [Certificate]?) throws -> PyObjectPointer? {
    guard let chain else { return newNone() }
    guard let factory = InterpreterRegistry.registered(.certificateFactory) else {
        throw PythonError.typeError("swiftssl's Certificate class is not registered")
    }
    defer { CSwiftSSLPy_DecRef(factory) }
    return try newList(chain) { certificate in
        let callArguments = try newTuple([certificate.derBytes.withUnsafeBytes(newBytes)])
        defer { CSwiftSSLPy_DecRef(callArguments) }
        return try checked(PyObject_CallObject(factory, callArguments))
    }
}

/// `get_verified_chain()`: the verified chain as `Certificate` objects, or None.
@_cdecl("swiftssl_connection_get_verified_chain")
func connectionGetVerifiedChain(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "get_verified_chain", arguments: 0...0) { box, _ in
        try certificateList(box.connection.verifiedPeerChain)
    }
}

/// `get_unverified_chain()`: the chain the peer sent as `Certificate` objects, or None.
@_cdecl("swiftssl_connection_get_unverified_chain")
func connectionGetUnverifiedChain(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "get_unverified_chain", arguments: 0...0) { box, _ in
        try certificateList(box.connection.unverifiedPeerChain)
    }
}

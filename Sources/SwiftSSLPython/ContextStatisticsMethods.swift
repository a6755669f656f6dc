@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// Runs a context method body with the receiver's core context.
private func contextExtraMethod(
    _ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t, _ name: String,
    arguments expected: ClosedRange<Int>, _ body: (TLSContext, Arguments) throws -> PyObjectPointer?
) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindContext, as: ContextBox.self)
        return try body(box.context, try Arguments(vector, count, function: name, expected: expected))
    }
}

/// `cert_store_stats()`: `{'x509': n, 'crl': n, 'x509_ca': n}`.
@_cdecl("swiftssl_context_cert_store_stats")
func contextCertStoreStats(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextExtraMethod(object, vector, count, "cert_store_stats", arguments: 0...0) { context, _ in
        let statistics = context.trustStoreStatistics
        let dict = try checked(PyDict_New())
        do {
            try setItem(dict, "x509", newInt(statistics.certificates))
            try setItem(dict, "crl", newInt(statistics.revocationLists))
            try setItem(dict, "x509_ca", newInt(statistics.authorities))
        } catch {
            CSwiftSSLPy_DecRef(dict)
            throw error
        }
        return dict
    }
}

/// `session_stats()`: the session cache counters under CPython's names.
@_cdecl("swiftssl_context_session_stats")
func contextSessionStats(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextExtraMethod(object, vector, count, "session_stats", arguments: 0...0) { context, _ in
        let dict = try checked(PyDict_New())
        do {
            for (name, value) in context.sessionStatistics {
                try setItem(dict, name, newInt(value))
            }
        } catch {
            CSwiftSSLPy_DecRef(dict)
            throw error
        }
        return dict
    }
}

@_cdecl("swiftssl_context_get_num_tickets")
func contextGetNumTickets(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextExtraMethod(object, vector, count, "_get_num_tickets", arguments: 0...0) { context, _ in
        newInt(context.sessionTicketCount)
    }
}

@_cdecl("swiftssl_context_set_num_tickets")
func contextSetNumTickets(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextExtraMethod(object, vector, count, "_set_num_tickets", arguments: 1...1) { context, arguments in
        try context.setSessionTicketCount(try arguments.int(0))
        return newNone()
    }
}

/// `_set_ecdh_curve(name)`: `name` is a str (the Python layer decodes bytes).
@_cdecl("swiftssl_context_set_ecdh_curve")
func contextSetECDHCurve(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextExtraMethod(object, vector, count, "set_ecdh_curve", arguments: 1...1) { context, arguments in
        try context.setKeyExchangeGroup(try arguments.string(0))
        return newNone()
    }
}

/// `_load_dh_params(path)`: `path` is a str (the Python layer applies os.fsdecode).
@_cdecl("swiftssl_context_load_dh_params")
func contextLoadDHParams(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextExtraMethod(object, vector, count, "load_dh_params", arguments: 1...1) { context, arguments in
        let path = try arguments.string(0)
        try withoutGIL { _ in try context.loadDiffieHellmanParameters(path: path) }
        return newNone()
    }
}

/// `_set_keylog_filename(path_or_None)`: `path` is a str (the Python layer applies os.fsdecode).
@_cdecl("swiftssl_context_set_keylog_filename")
func contextSetKeylogFilename(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextExtraMethod(object, vector, count, "_set_keylog_filename", arguments: 1...1) { context, arguments in
        try context.setKeyLogPath(try arguments.optionalString(0))
        return newNone()
    }
}

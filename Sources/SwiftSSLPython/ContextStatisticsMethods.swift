@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `cert_store_stats()`: `{'x509': n, 'crl': n, 'x509_ca': n}`.
@_cdecl("swiftssl_context_cert_store_stats")
func contextCertStoreStats(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "cert_store_stats", arguments: 0...0) { box, _ in
        let statistics = box.context.trustStoreStatistics
        return try newDict([
            ("x509", newInt(statistics.certificates)),
            ("crl", newInt(statistics.revocationLists)),
            ("x509_ca", newInt(statistics.authorities)),
        ])
    }
}

/// `session_stats()`: the session cache counters under CPython's names.
@_cdecl("swiftssl_context_session_stats")
func contextSessionStats(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "session_stats", arguments: 0...0) { box, _ in
        return try newDict(box.context.sessionStatistics.map { ($0.0, newInt($0.1)) })
    }
}

@_cdecl("swiftssl_context_get_num_tickets")
func contextGetNumTickets(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_num_tickets", arguments: 0...0) { box, _ in
        newInt(box.context.sessionTicketCount)
    }
}

@_cdecl("swiftssl_context_set_num_tickets")
func contextSetNumTickets(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_num_tickets", arguments: 1...1) { box, arguments in
        try box.context.setSessionTicketCount(try arguments.int(0))
        return newNone()
    }
}

/// `_set_ecdh_curve(name)`: `name` is a str (the Python layer decodes bytes).
@_cdecl("swiftssl_context_set_ecdh_curve")
func contextSetECDHCurve(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "set_ecdh_curve", arguments: 1...1) { box, arguments in
        try box.context.setKeyExchangeGroup(try arguments.string(0))
        return newNone()
    }
}

/// `_load_dh_params(path)`: `path` is a str (the Python layer applies os.fsdecode), opened by
/// the bytes os.fsencode gives for it, so a name that is not UTF-8 opens that file.
@_cdecl("swiftssl_context_load_dh_params")
func contextLoadDHParams(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "load_dh_params", arguments: 1...1) { box, arguments in
        let path = try arguments.object(0)
        guard CSwiftSSLPy_IsUnicode(path) != 0 else {
            throw PythonError.typeError("load_dh_params() argument must be str, not \(typeName(path))")
        }
        let name = try CredentialArguments.fileSystemName(path)
        try withoutGIL { _ in try box.context.loadDiffieHellmanParameters(pathName: name) }
        return newNone()
    }
}

/// `_set_keylog_filename(path_or_None)`: `path` is a str (the Python layer applies os.fsdecode,
/// so a name that is not UTF-8 comes with lone surrogates and goes back to its bytes here). The
/// file is opened with the GIL released, as CPython opens it: a FIFO waits for its reader.
@_cdecl("swiftssl_context_set_keylog_filename")
func contextSetKeylogFilename(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_keylog_filename", arguments: 1...1) { box, arguments in
        let name = try arguments.optional(0).map { try CredentialArguments.fileSystemName($0) }
        try withoutGIL { onInterrupt in try box.context.setKeyLogFile(named: name, onInterrupt: onInterrupt) }
        return newNone()
    }
}

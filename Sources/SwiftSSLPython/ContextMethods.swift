@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `_SSLContext(protocol)`: makes the core context; returns a retained ``ContextBox``.
@_cdecl("swiftssl_context_create")
func contextCreate(_ arguments: PyObjectPointer?) -> UnsafeMutableRawPointer? {
    do {
        guard let arguments, PyTuple_Size(arguments) == 1, let value = PyTuple_GetItem(arguments, 0) else {
            throw PythonError.typeError("_SSLContext() takes exactly one argument (protocol)")
        }
        let raw = Int(try clinicInt(value))
        guard let selection = TLSProtocol(rawValue: raw) else {
            throw PythonError.valueError("invalid or unsupported protocol version \(raw)")
        }
        return Unmanaged.passRetained(ContextBox(try TLSContext(protocol: selection))).toOpaque()
    } catch {
        raise(error)
        return nil
    }
}

/// Runs a context method body with the receiver's box (shared by every context method file).
func contextMethod(
    _ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t, _ name: String,
    arguments expected: ClosedRange<Int>, _ body: (ContextBox, Arguments) throws -> PyObjectPointer?
) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindContext, as: ContextBox.self)
        return try withSetSSLErrorNumbers {
            try body(box, try Arguments(vector, count, function: name, expected: expected))
        }
    }
}

@_cdecl("swiftssl_context_get_verify_mode")
func contextGetVerifyMode(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_verify_mode", arguments: 0...0) { box, _ in
        newInt(box.context.verifyMode.rawValue)
    }
}

@_cdecl("swiftssl_context_set_verify_mode")
func contextSetVerifyMode(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_verify_mode", arguments: 1...1) { box, arguments in
        guard let mode = VerifyMode(rawValue: try arguments.int(0)) else {
            throw PythonError.valueError("invalid value for verify_mode")
        }
        try box.context.setVerifyMode(mode)
        return newNone()
    }
}

@_cdecl("swiftssl_context_get_check_hostname")
func contextGetCheckHostname(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_check_hostname", arguments: 0...0) { box, _ in
        newBool(box.context.checkHostname)
    }
}

@_cdecl("swiftssl_context_set_check_hostname")
func contextSetCheckHostname(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_check_hostname", arguments: 1...1) { box, arguments in
        try box.context.setCheckHostname(try arguments.bool(0))
        return newNone()
    }
}

@_cdecl("swiftssl_context_get_hostname_checks_common_name")
func contextGetHostnameChecksCommonName(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_hostname_checks_common_name", arguments: 0...0) { box, _ in
        newBool(box.context.hostnameChecksCommonName)
    }
}

@_cdecl("swiftssl_context_set_hostname_checks_common_name")
func contextSetHostnameChecksCommonName(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_hostname_checks_common_name", arguments: 1...1) { box, arguments in
        try box.context.setHostnameChecksCommonName(try arguments.bool(0))
        return newNone()
    }
}

@_cdecl("swiftssl_context_get_verify_flags")
func contextGetVerifyFlags(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_verify_flags", arguments: 0...0) { box, _ in
        PyLong_FromUnsignedLongLong(UInt64(box.context.verifyFlags))
    }
}

@_cdecl("swiftssl_context_set_verify_flags")
func contextSetVerifyFlags(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_verify_flags", arguments: 1...1) { box, arguments in
        try box.context.setVerifyFlags(UInt(try unsignedInteger(try arguments.object(0))))
        return newNone()
    }
}

@_cdecl("swiftssl_context_get_options")
func contextGetOptions(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_options", arguments: 0...0) { box, _ in
        PyLong_FromUnsignedLongLong(box.context.options)
    }
}

@_cdecl("swiftssl_context_set_options")
func contextSetOptions(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_options", arguments: 1...1) { box, arguments in
        try box.context.setOptions(try unsignedInteger(try arguments.object(0)))
        return newNone()
    }
}

@_cdecl("swiftssl_context_get_minimum_version")
func contextGetMinimumVersion(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_minimum_version", arguments: 0...0) { box, _ in
        newInt(box.context.minimumVersion.rawValue)
    }
}

@_cdecl("swiftssl_context_set_minimum_version")
func contextSetMinimumVersion(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_minimum_version", arguments: 1...1) { box, arguments in
        try box.context.setMinimumVersion(try tlsVersion(arguments.int(0), for: box.context))
        return newNone()
    }
}

@_cdecl("swiftssl_context_get_maximum_version")
func contextGetMaximumVersion(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_maximum_version", arguments: 0...0) { box, _ in
        newInt(box.context.maximumVersion.rawValue)
    }
}

@_cdecl("swiftssl_context_set_maximum_version")
func contextSetMaximumVersion(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_maximum_version", arguments: 1...1) { box, arguments in
        try box.context.setMaximumVersion(try tlsVersion(arguments.int(0), for: box.context))
        return newNone()
    }
}

/// The version a `minimum_version` / `maximum_version` assignment names, with CPython's checks
/// in CPython's order: too large for a C int, a pinned context, then an unknown version (printed
/// as C's `%x` prints it, so -3 reads 0xfffffffd).
private func tlsVersion(_ raw: Int, for context: TLSContext) throws -> TLSVersion {
    if raw > Int(Int32.max) { throw PythonError.overflowError("Option is too long") }
    try context.requireVersionsAdjustable()
    guard let version = TLSVersion(rawValue: raw) else {
        let printed = String(UInt32(truncatingIfNeeded: raw), radix: 16)
        throw PythonError.valueError("Unsupported TLS/SSL version 0x\(printed)")
    }
    return version
}

private func unsignedInteger(_ object: PyObjectPointer) throws -> UInt64 {
    let value = PyLong_AsUnsignedLongLong(object)
    if value == UInt64.max, PyErr_Occurred() != nil { throw PythonError.alreadySet }
    return value
}

@_cdecl("swiftssl_context_get_protocol")
func contextGetProtocol(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_protocol", arguments: 0...0) { box, _ in
        newInt(box.context.protocolSelection.rawValue)
    }
}

@_cdecl("swiftssl_context_get_security_level")
func contextGetSecurityLevel(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_get_security_level", arguments: 0...0) { box, _ in
        newInt(box.context.securityLevel)
    }
}

/// `_core_identity()`: a number naming the core context this object uses (its serial number,
/// never reused), so tests can tell whether two `wrap_socket` calls shared a context from
/// ``TLSContextCache``.
@_cdecl("swiftssl_context_core_identity")
func contextCoreIdentity(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_core_identity", arguments: 0...0) { box, _ in
        PyLong_FromUnsignedLongLong(box.context.serialNumber)
    }
}

@_cdecl("swiftssl_context_set_ciphers")
func contextSetCiphers(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "set_ciphers", arguments: 1...1) { box, arguments in
        try box.context.setCiphers(try arguments.string(0))
        return newNone()
    }
}

/// `get_ciphers()`: a list of dicts with CPython's keys and values.
@_cdecl("swiftssl_context_get_ciphers")
func contextGetCiphers(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "get_ciphers", arguments: 0...0) { box, _ in
        try newList(box.context.ciphers) { cipher in
            try newDict([
                ("id", newInt(0x0300_0000 | Int(cipher.identifier))),
                ("name", newString(cipher.name)),
                ("protocol", newString(cipher.protocolVersion)),
                ("description", newString(cipher.description)),
                ("strength_bits", newInt(cipher.secretBits)),
                ("alg_bits", newInt(cipher.algorithmBits)),
                ("aead", newBool(cipher.isAEAD)),
                ("symmetric", cipher.symmetricCipher.map(newString) ?? newNone()),
                ("digest", cipher.digest.map(newString) ?? newNone()),
                ("kea", cipher.keyExchange.map(newString) ?? newNone()),
                ("auth", cipher.authentication.map(newString) ?? newNone()),
            ])
        }
    }
}

/// `_load_cert_chain(certfile, keyfile, password)`; see ``CredentialArguments`` for accepted values.
@_cdecl("swiftssl_context_load_cert_chain")
func contextLoadCertChain(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "load_cert_chain", arguments: 1...3) { box, arguments in
        let certificate = try CredentialArguments.source(try arguments.object(0), role: "certfile")
        let key = try arguments.optional(1).map { try CredentialArguments.source($0, role: "keyfile") }
        let password = try CredentialArguments.password(arguments.optional(2))
        try box.context.loadCertificateChain(certificate: certificate, privateKey: key, password: password)
        return newNone()
    }
}

/// `_load_verify_locations(cafile, capath, cadata)`.
@_cdecl("swiftssl_context_load_verify_locations")
func contextLoadVerifyLocations(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "load_verify_locations", arguments: 0...3) { box, arguments in
        let file = try arguments.optional(0).map { try CredentialArguments.source($0, role: "cafile") }
        let directory = try arguments.optional(1).map { try directoryName($0) }
        // cadata as str is ASCII PEM by definition (as in CPython); bytes may be PEM or DER. As
        // in CPython, cadata is loaded before cafile and capath.
        if let text = arguments.optional(2), CSwiftSSLPy_IsUnicode(text) != 0 {
            guard let pemText = try? asciiString(text) else {
                PyErr_Clear()
                throw PythonError.typeError("cadata should be an ASCII string or a bytes-like object")
            }
            try box.context.loadVerifyLocations(pemText: pemText)
            if file != nil || directory != nil {
                try box.context.loadVerifyLocations(file: file, directoryName: directory)
            }
            return newNone()
        }
        let data = try arguments.optional(2).map { try CredentialArguments.caDataSource($0) }
        try box.context.loadVerifyLocations(file: file, directoryName: directory, data: data)
        return newNone()
    }
}

/// capath as the bytes the operating system sees (os.fsencode's), so that a name that is not
/// UTF-8 names that directory and no other; CPython's TypeError for what is not a path, and what
/// an `__fspath__` raised otherwise (KeyboardInterrupt included), as CPython lets it through.
private func directoryName(_ object: PyObjectPointer) throws -> [UInt8] {
    let path = try CredentialArguments.fileSystemPath(of: object, role: "capath")
    defer { CSwiftSSLPy_DecRef(path) }
    return try CredentialArguments.fileSystemName(path)
}

@_cdecl("swiftssl_context_set_default_verify_paths")
func contextSetDefaultVerifyPaths(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "set_default_verify_paths", arguments: 0...0) { box, _ in
        try box.context.loadSystemTrustStore()
        return newNone()
    }
}

/// `_get_ca_certs(binary_form)`: the trusted CA certificates (not other trusted certificates, as
/// in CPython) as dicts or DER bytes.
@_cdecl("swiftssl_context_get_ca_certs")
func contextGetCACerts(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "get_ca_certs", arguments: 0...1) { box, arguments in
        let binary = arguments.count > 0 ? try arguments.bool(0) : false
        return try newList(box.context.trustedAuthorities()) { certificate in
            if binary {
                return try checked(certificate.derBytes.withUnsafeBytes(newBytes))
            }
            return try CertificateConversion.dictionary(of: certificate)
        }
    }
}

/// `_wrap_fd(fileno, server_side, server_hostname, owner)`: a native connection over the socket.
@_cdecl("swiftssl_context_wrap_fd")
func contextWrapFD(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_wrap_fd", arguments: 4...4) { box, arguments in
        let descriptor = try arguments.int(0)
        guard let socket = Int32(exactly: descriptor), socket >= 0 else {
            throw PythonError.valueError("invalid socket file descriptor \(descriptor)")
        }
        let connection = try TLSConnection(
            context: box.context, socket: socket, serverSide: try serverSide(arguments, 1),
            serverHostname: try serverHostname(arguments, 2))
        return try wrapConnection(connection, contextObject: object, owner: arguments.optional(3))
    }
}

/// `_wrap_memory(incoming, outgoing, server_side, server_hostname, owner)`: a connection over
/// BIOs, either swiftssl's own or CPython's `ssl.MemoryBIO`s (``StdlibMemoryBIOChannel``).
@_cdecl("swiftssl_context_wrap_memory")
func contextWrapMemory(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_wrap_memory", arguments: 5...5) { box, arguments in
        let incomingObject = try arguments.object(0), outgoingObject = try arguments.object(1)
        let serverSide = try serverSide(arguments, 2), serverHostname = try serverHostname(arguments, 3)
        let connection: TLSConnection
        if StdlibMemoryBIOChannel.accepts(incomingObject, outgoingObject) {
            let channel = try StdlibMemoryBIOChannel(incoming: incomingObject, outgoing: outgoingObject)
            connection = try TLSConnection(context: box.context, channel: channel, serverSide: serverSide,
                                           serverHostname: serverHostname)
        } else {
            let incoming = try unwrapNative(incomingObject, kind: SwiftSSLKindMemoryBuffer, as: MemoryBufferBox.self)
            let outgoing = try unwrapNative(outgoingObject, kind: SwiftSSLKindMemoryBuffer, as: MemoryBufferBox.self)
            connection = try TLSConnection(context: box.context, incoming: incoming.buffer, outgoing: outgoing.buffer,
                                           serverSide: serverSide, serverHostname: serverHostname)
        }
        return try wrapConnection(connection, contextObject: object, owner: arguments.optional(4))
    }
}

/// `server_hostname` as `_ssl`'s `_wrap_socket`/`_wrap_bio` parse it (format `"es"`, "ascii"):
/// None, or a str of ASCII characters without NUL, with CPython's TypeError for another type or a
/// NUL and its UnicodeEncodeError for other characters (ssl.py turns U-labels into A-labels first).
private func serverHostname(_ arguments: Arguments, _ index: Int) throws -> String? {
    guard let object = arguments.optional(index) else { return nil }
    guard CSwiftSSLPy_IsUnicode(object) != 0 else {
        throw PythonError.typeError("argument must be str, not \(typeName(object))")
    }
    let hostname = try asciiString(object)
    if hostname.utf8.contains(0) {
        throw PythonError.typeError("argument must be encoded string without null bytes, not str")
    }
    return hostname
}

/// `server_side` as the running CPython's `_wrap_socket`/`_wrap_bio` take it: 3.11's a C int
/// (TypeError for None, a float or a str; any value but 0 is the server side), 3.12's and later
/// any object, by its truth.
private func serverSide(_ arguments: Arguments, _ index: Int) throws -> Bool {
    if Py_Version >= 0x030C_0000 { return try arguments.bool(index) }
    return try arguments.cInt(index) != 0
}

private func wrapConnection(_ connection: TLSConnection, contextObject: PyObjectPointer?, owner: PyObjectPointer?) throws -> PyObjectPointer {
    guard let contextObject else { throw PythonError.alreadySet }
    CSwiftSSLPy_IncRef(contextObject)
    let box = ConnectionBox(connection, contextObject: contextObject)
    if let owner {
        box.replaceOwnerReference(try checked(PyWeakref_NewRef(owner, nil)))
    }
    return try wrapNative(box, kind: SwiftSSLKindConnection, besides: contextObject)
}

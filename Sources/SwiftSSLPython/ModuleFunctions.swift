@preconcurrency import CPython
import _swiftssl_c
import COpenSSL
import SwiftSSL

/// `_match_hostname(cert_dict, hostname)`: CPython 3.11's `match_hostname`, done by the core.
/// The Python layer has already rejected an empty certificate, as CPython does.
@_cdecl("swiftssl_match_hostname")
func moduleMatchHostname(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let arguments = try Arguments(vector, count, function: "match_hostname", expected: 2...2)
        let certificate = try arguments.object(0)
        let hostname = try arguments.string(1)
        let subjectAltNames = try pairs(in: certificate, key: "subjectAltName")
        let subject = try relativeNames(in: certificate)
        try matchHostname(subjectAltNames: subjectAltNames, subject: subject, hostname: hostname)
        return newNone()
    }
}

/// `cert.get(key, ())` as (tag, value) pairs. Pairs whose tag is not a str are skipped (CPython
/// compares them to 'DNS' and moves on); a non-str value under a tag that matters is a TypeError.
private func pairs(in certificate: PyObjectPointer, key: String) throws -> [(tag: String, value: String)] {
    guard let entries = try lookup(certificate, key) else { return [] }
    defer { CSwiftSSLPy_DecRef(entries) }
    // Released all together, so an entry that throws does not leak the ones after it.
    let entryList = try items(of: entries)
    defer { entryList.forEach(CSwiftSSLPy_DecRef) }
    return try entryList.compactMap { entry in
        let parts = try items(of: entry)
        defer { parts.forEach(CSwiftSSLPy_DecRef) }
        guard parts.count == 2 else {
            throw PythonError.valueError("subjectAltName entries must be (type, value) pairs")
        }
        guard CSwiftSSLPy_IsUnicode(parts[0]) != 0 else { return nil }
        let tag = try pythonString(parts[0], what: "subjectAltName type")
        guard tag == "DNS" || tag == "IP Address" else { return nil }
        return (tag, try pythonString(parts[1], what: "subjectAltName value"))
    }
}

/// `cert.get('subject', ())` as relative names of (name, value) pairs, keeping only str pairs.
private func relativeNames(in certificate: PyObjectPointer) throws -> [[(name: String, value: String)]] {
    guard let subject = try lookup(certificate, "subject") else { return [] }
    defer { CSwiftSSLPy_DecRef(subject) }
    // Each list is released all together, so an item that throws does not leak the ones after it.
    let relativeNameList = try items(of: subject)
    defer { relativeNameList.forEach(CSwiftSSLPy_DecRef) }
    return try relativeNameList.map { relativeName in
        let attributes = try items(of: relativeName)
        defer { attributes.forEach(CSwiftSSLPy_DecRef) }
        return try attributes.compactMap { attribute in
            let parts = try items(of: attribute)
            defer { parts.forEach(CSwiftSSLPy_DecRef) }
            guard parts.count == 2 else {
                throw PythonError.valueError("subject attributes must be (name, value) pairs")
            }
            guard CSwiftSSLPy_IsUnicode(parts[0]) != 0,
                  try pythonString(parts[0], what: "attribute name") == "commonName" else { return nil }
            return ("commonName", try pythonString(parts[1], what: "commonName value"))
        }
    }
}

/// `mapping.get(key)` as a new reference, nil when absent.
private func lookup(_ mapping: PyObjectPointer, _ key: String) throws -> PyObjectPointer? {
    let keyObject = try checked(newString(key))
    defer { CSwiftSSLPy_DecRef(keyObject) }
    let get = try checked(PyObject_GetAttrString(mapping, "get"))
    defer { CSwiftSSLPy_DecRef(get) }
    let arguments = try newTuple([{ CSwiftSSLPy_IncRef(keyObject); return keyObject }()])
    defer { CSwiftSSLPy_DecRef(arguments) }
    let value = try checked(PyObject_CallObject(get, arguments))
    if CSwiftSSLPy_IsNone(value) != 0 {
        CSwiftSSLPy_DecRef(value)
        return nil
    }
    return value
}

/// The items of any iterable, as new references.
private func items(of iterable: PyObjectPointer) throws -> [PyObjectPointer] {
    let iterator = try checked(PyObject_GetIter(iterable))
    defer { CSwiftSSLPy_DecRef(iterator) }
    var result: [PyObjectPointer] = []
    while let item = PyIter_Next(iterator) {
        result.append(item)
    }
    if PyErr_Occurred() != nil {
        result.forEach(CSwiftSSLPy_DecRef)
        throw PythonError.alreadySet
    }
    return result
}

/// `_test_decode_cert(path)`: the getpeercert() dict of the first certificate in a PEM file, with
/// CPython's errors: SSLError("Can't open file") when it cannot be read, SSLError("Error decoding
/// PEM-encoded file") when its first certificate block is missing or does not decode.
@_cdecl("swiftssl_test_decode_cert")
func moduleTestDecodeCert(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let arguments = try Arguments(vector, count, function: "_test_decode_cert", expected: 1...1)
        let source = try CredentialArguments.source(try arguments.object(0), role: "path")
        let bytes: SensitiveBytes
        do {
            bytes = try source.load()
        } catch let error as TLSError where error.kind == .system {
            throw TLSError.messageOnly("Can't open file")
        }
        guard let first = try Certificate.firstInPEM(bytes.bytes) else {
            throw TLSError.messageOnly("Error decoding PEM-encoded file")
        }
        return try CertificateConversion.dictionary(of: first)
    }
}

/// `_legacy_context(context_class, server_side, protocol, cert_reqs, check_hostname, certfile,
/// keyfile, password, ca_certs, ciphers)`: an instance of `context_class` sharing a cached,
/// frozen core context keyed by content (see ``TLSContextCache``); a `check_hostname` of None
/// keeps the protocol's own.
@_cdecl("swiftssl_legacy_context")
func moduleLegacyContext(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        // Loading the credentials is CPython's load_cert_chain & co.: its error numbers.
        try withSetSSLErrorNumbers {
            let arguments = try Arguments(vector, count, function: "_legacy_context", expected: 10...10)
            let contextClass = try arguments.object(0)
            // As CPython's SSLContext(ssl_version) and its verify_mode setter take them.
            let protocolNumber = Int(try arguments.cInt(2))
            guard let selection = TLSProtocol(rawValue: protocolNumber) else {
                throw PythonError.valueError("invalid or unsupported protocol version \(protocolNumber)")
            }
            guard let verifyMode = VerifyMode(rawValue: Int(try arguments.cInt(3))) else {
                throw PythonError.valueError("invalid value for verify_mode")
            }
            var configuration = TLSConfiguration(protocol: selection)
            configuration.verifyMode = verifyMode
            // None: the protocol's own (PROTOCOL_TLS_CLIENT's on, which refuses CERT_NONE).
            configuration.checkHostname = arguments.optional(4) == nil ? nil : try arguments.bool(4)
            configuration.certificateChain = try arguments.optional(5).map { try CredentialArguments.source($0, role: "certfile") }
            configuration.privateKey = try arguments.optional(6).map { try CredentialArguments.source($0, role: "keyfile") }
            configuration.password = try CredentialArguments.password(arguments.optional(7))
            if let caCertificates = arguments.optional(8) {
                configuration.trustRoots = .certificates(try CredentialArguments.source(caCertificates, role: "ca_certs"))
            } else if verifyMode != .none {
                configuration.trustRoots = .system
            }
            configuration.ciphers = try arguments.optionalString(9)
            let context = try TLSContextCache.shared.context(for: configuration)
            let box = Unmanaged.passRetained(ContextBox(context)).toOpaque()
            return try checked(swiftssl_wrap_core_as(contextClass, SwiftSSLKindContext, box))
        }
    }
}

/// `_openssl_version()`: `(text, number, (major, minor, fix, patch, status))`.
@_cdecl("swiftssl_openssl_version")
func moduleOpenSSLVersion(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let number = OpenSSL_version_num()
        let text = OpenSSL_version(OPENSSL_VERSION).map { String(cString: $0) } ?? "OpenSSL"
        let info = try newTuple([
            newInt(Int((number >> 28) & 0xF)), newInt(Int((number >> 20) & 0xFF)),
            newInt(Int((number >> 12) & 0xFF)), newInt(Int((number >> 4) & 0xFF)), newInt(Int(number & 0xF)),
        ])
        return try newTuple([newString(text), PyLong_FromUnsignedLong(number), info])
    }
}

/// `RAND_bytes(n)`.
@_cdecl("swiftssl_rand_bytes")
func moduleRandBytes(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let arguments = try Arguments(vector, count, function: "RAND_bytes", expected: 1...1)
        let length = try arguments.cInt(0)
        if length < 0 { throw PythonError.valueError("num must be positive") }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        ERR_clear_error()
        if length > 0, RAND_bytes(&bytes, length) != 1 {
            throw TLSError(kind: .ssl, code: 1, message: "RAND_bytes failed")
        }
        return bytes.withUnsafeBytes(newBytes)
    }
}

@_cdecl("swiftssl_rand_status")
func moduleRandStatus(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        _ = try Arguments(vector, count, function: "RAND_status", expected: 0...0)
        return newBool(RAND_status() == 1)
    }
}

/// `_set_default_cipher_suites(kind, cipher_string)`: what contexts made from now on start with,
/// from the interpreter's `--with-ssl-default-suites` ("python", "openssl", or "custom" with the
/// builder's cipher string); swiftssl._native calls it once, when it loads the core.
@_cdecl("swiftssl_set_default_cipher_suites")
func moduleSetDefaultCipherSuites(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let arguments = try Arguments(vector, count, function: "_set_default_cipher_suites", expected: 2...2)
        let kind = try arguments.string(0)
        let cipherString = try arguments.optionalString(1)
        switch (kind, cipherString) {
        case ("python", nil): DefaultCipherSuites.current = .python
        case ("openssl", nil): DefaultCipherSuites.current = .openssl
        case ("custom", let cipherString?): DefaultCipherSuites.current = .custom(cipherString)
        default:
            throw PythonError.valueError("default cipher suites must be ('python', None), ('openssl', None) or ('custom', str)")
        }
        return newNone()
    }
}

/// `_default_cipher_string()`: what `ssl._DEFAULT_CIPHERS` holds under the current choice.
@_cdecl("swiftssl_default_cipher_string")
func moduleDefaultCipherString(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        _ = try Arguments(vector, count, function: "_default_cipher_string", expected: 0...0)
        return newString(DefaultCipherSuites.current.cipherString)
    }
}

/// `RAND_add(data, entropy)`.
@_cdecl("swiftssl_rand_add")
func moduleRandAdd(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let arguments = try Arguments(vector, count, function: "RAND_add", expected: 2...2)
        var data = try arguments.object(0)
        var encoded: PyObjectPointer?
        if CSwiftSSLPy_IsUnicode(data) != 0 {
            let utf8 = try checked(PyUnicode_AsUTF8String(data))
            encoded = utf8
            data = utf8
        }
        defer { encoded.map(CSwiftSSLPy_DecRef) }
        let entropy = PyFloat_AsDouble(try arguments.object(1))
        if entropy == -1, PyErr_Occurred() != nil { throw PythonError.alreadySet }
        try withBuffer(data) { view in
            guard view.count <= Int(Int32.max) else { throw PythonError.overflowError("data is too long") }
            RAND_add(view.baseAddress, Int32(view.count), entropy)
        }
        return newNone()
    }
}

@preconcurrency import CPython
import SwiftSSL

/// Turns the Python values accepted for `certfile`, `keyfile`, `ca_certs`/`cafile` and `cadata`
/// into core credential sources.
///
/// Accepted: a path (`str`, `bytes`, `os.PathLike`); PEM content as `str` or bytes-like (recognised
/// by its `-----BEGIN` armour); or a file-like object whose `read()` returns the whole PEM as `str` or
/// bytes. Content given in memory is copied into a buffer wiped on release and never touches disk.
enum CredentialArguments {
    static let pemMarker = Array("-----BEGIN".utf8)

    /// The source for `object` (role names the argument in messages, e.g. "certfile").
    static func source(_ object: PyObjectPointer, role: String) throws -> CredentialSource {
        if CSwiftSSLPy_IsUnicode(object) != 0 {
            // Straight from the str's UTF-8 into a wiped buffer: a Swift String of a PEM key would
            // be one more copy of it, freed without being cleansed. A str with lone surrogates has
            // no UTF-8; it is no PEM either, but may name a file, as os.fsdecode's names do.
            if let bytes = try? utf8Bytes(object) {
                if containsPEMMarker(bytes.bytes) { return .bytes(bytes) }
            } else {
                PyErr_Clear()
            }
            return fileReadWithoutGIL(try fileSystemName(object))
        }
        if isBytesLike(object) {
            let bytes = try withBuffer(object) { SensitiveBytes(copying: UnsafeRawBufferPointer($0)) }
            if containsPEMMarker(bytes.bytes) { return .bytes(bytes) }
            return fileReadWithoutGIL(try fileSystemName(object))
        }
        if PyObject_HasAttrString(object, "__fspath__") != 0 {
            let path = try fileSystemPath(of: object, role: role)
            defer { CSwiftSSLPy_DecRef(path) }
            return try source(path, role: role)
        }
        if PyObject_HasAttrString(object, "read") != 0 {
            CSwiftSSLPy_IncRef(object)
            let reference = PythonReference(owning: object)
            return .reader { try readAll(reference.object, role: role) }
        }
        throw PythonError.typeError(
            "\(role) should be a valid filesystem path, PEM content, or a file-like object, not \(typeName(object))")
    }

    /// `os.fspath(object)` (a new reference), as CPython's path arguments take it: its TypeError
    /// becomes "<role> should be a valid filesystem path"; anything else an `__fspath__` raised
    /// (KeyboardInterrupt included) goes through.
    static func fileSystemPath(of object: PyObjectPointer, role: String) throws -> PyObjectPointer {
        guard let path = PyOS_FSPath(object) else {
            guard PyErr_ExceptionMatches(PyExc_TypeError) != 0 else { throw PythonError.alreadySet }
            PyErr_Clear()
            throw PythonError.typeError("\(role) should be a valid filesystem path")
        }
        return path
    }

    /// The source for the file `name`, read with the GIL released when the core loads it, as
    /// CPython releases it around OpenSSL's reads of credential files: a FIFO whose writer is
    /// another thread of this process, or a slow disk, stops no other thread. A signal during the
    /// read runs Python's handlers, and one that raises (Ctrl-C) ends the read with its exception.
    private static func fileReadWithoutGIL(_ name: [UInt8]) -> CredentialSource {
        .reader {
            try withoutGIL { onInterrupt in
                try CredentialSource.fileSystemPath(name).load(onInterrupt: onInterrupt)
            }
        }
    }

    /// The source for cadata: PEM text as `str`; bytes-like PEM or DER.
    static func caDataSource(_ object: PyObjectPointer) throws -> CredentialSource {
        if CSwiftSSLPy_IsUnicode(object) != 0 {
            return .pem(try pythonString(object, what: "cadata"))
        }
        if isBytesLike(object) {
            return .bytes(try withBuffer(object) { SensitiveBytes(copying: UnsafeRawBufferPointer($0)) })
        }
        throw PythonError.typeError("cadata should be an ASCII string or a bytes-like object")
    }

    /// Calls `read()` once and takes its whole result. Nothing at all is refused by name: it is
    /// what a file-like object passed a second time without a `seek(0)` gives (App Engine code
    /// keeps one `BytesIO` for every `wrap_socket`), and OpenSSL would only say "PEM lib".
    static func readAll(_ reader: PyObjectPointer, role: String) throws -> SensitiveBytes {
        let result = try callMethod(reader, "read")
        defer { CSwiftSSLPy_DecRef(result) }
        let bytes: SensitiveBytes
        if CSwiftSSLPy_IsUnicode(result) != 0 {
            bytes = try utf8Bytes(result)
        } else if isBytesLike(result) {
            bytes = try withBuffer(result) { SensitiveBytes(copying: UnsafeRawBufferPointer($0)) }
        } else {
            throw PythonError.typeError("\(role).read() returned \(typeName(result)); expected str or bytes")
        }
        if bytes.bytes.isEmpty {
            throw TLSError(kind: .ssl, code: TLSError.codeSSL, message:
                "\(role).read() returned nothing: a file-like object is read from its current position, "
                    + "so one already read needs seek(0) before it is passed again (swiftssl)")
        }
        return bytes
    }

    /// Password: str, bytes-like, or a callable returning one of those.
    static func password(_ object: PyObjectPointer?) throws -> PasswordSource? {
        guard let object else { return nil }
        if let bytes = try passwordBytes(object) { return .bytes(bytes) }
        guard PyCallable_Check(object) != 0 else {
            throw PythonError.typeError("password should be a string or callable")
        }
        CSwiftSSLPy_IncRef(object)
        let reference = PythonReference(owning: object)
        return .callback {
            let result = try checked(PyObject_CallNoArgs(reference.object))
            defer { CSwiftSSLPy_DecRef(result) }
            guard let bytes = try passwordBytes(result) else {
                throw PythonError.typeError("password callback must return a string")
            }
            return bytes
        }
    }

    private static func passwordBytes(_ object: PyObjectPointer) throws -> SensitiveBytes? {
        if CSwiftSSLPy_IsUnicode(object) != 0 {
            return try utf8Bytes(object)
        }
        if CSwiftSSLPy_IsBytes(object) != 0 || CSwiftSSLPy_IsByteArray(object) != 0 {
            return try withBuffer(object) { SensitiveBytes(copying: UnsafeRawBufferPointer($0)) }
        }
        return nil
    }

    /// The UTF-8 of a str, copied into a buffer wiped on release (the str's own cached UTF-8 is
    /// Python's, freed with the str).
    private static func utf8Bytes(_ object: PyObjectPointer) throws -> SensitiveBytes {
        var size: Py_ssize_t = 0
        guard let pointer = PyUnicode_AsUTF8AndSize(object, &size) else { throw PythonError.alreadySet }
        return SensitiveBytes(copying: UnsafeRawBufferPointer(start: pointer, count: size))
    }

    /// A file name (a str, encoded as os.fsencode does, or a bytes-like object) as the bytes the
    /// operating system sees: a name that is not UTF-8 names that file and no other. A NUL is
    /// refused here, while the arguments are read, as CPython's argument parsing refuses it.
    static func fileSystemName(_ object: PyObjectPointer) throws -> [UInt8] {
        let encoded = CSwiftSSLPy_IsUnicode(object) != 0 ? try checked(PyUnicode_EncodeFSDefault(object)) : object
        defer { if encoded != object { CSwiftSSLPy_DecRef(encoded) } }
        let name = try withBuffer(encoded) { Array(UnsafeRawBufferPointer($0)) }
        if name.contains(0) { throw PythonError.valueError("embedded null byte") }
        return name
    }

    private static func containsPEMMarker<Bytes: Sequence>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        var matched = 0
        for byte in bytes {
            if byte == pemMarker[matched] {
                matched += 1
                if matched == pemMarker.count { return true }
            } else {
                matched = byte == pemMarker[0] ? 1 : 0
            }
        }
        return false
    }
}

/// Owns one strong reference to a Python object and drops it, under the GIL, when released. Lets
/// Swift closures that may outlive the current call (readers, callbacks) hold Python objects.
final class PythonReference {
    let object: PyObjectPointer

    /// Adopts an existing strong reference.
    init(owning object: PyObjectPointer) {
        self.object = object
    }

    deinit {
        let object = self.object
        withGIL { CSwiftSSLPy_DecRef(object) }
    }
}

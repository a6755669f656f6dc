@preconcurrency import CPython
import SwiftSSL

/// The exception classes defined by the Python package (`swiftssl/_errors.py`), handed to the
/// native module at import so that core errors become instances of exactly those classes. Each
/// interpreter registers its own (``InterpreterRegistry``); the cases are their positions.
enum ExceptionClass: Int, CaseIterable {
    case sslError, zeroReturn, wantRead, wantWrite, syscall, eof, certificateVerification

    /// The current interpreter's class, as a new reference, or nil when none is registered.
    func registered() -> PyObjectPointer? {
        guard let classes = InterpreterRegistry.registered(.exceptionClasses) else { return nil }
        defer { CSwiftSSLPy_DecRef(classes) }
        guard let item = PyTuple_GetItem(classes, rawValue) else {
            PyErr_Clear()
            return nil
        }
        CSwiftSSLPy_IncRef(item)
        return item
    }
}

/// `_register_exceptions(SSLError, SSLZeroReturnError, SSLWantReadError, SSLWantWriteError,
/// SSLSyscallError, SSLEOFError, SSLCertVerificationError)`, for the calling interpreter.
@_cdecl("swiftssl_register_exceptions")
func registerExceptions(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let expected = ExceptionClass.allCases.count
        let arguments = try Arguments(vector, count, function: "_register_exceptions", expected: expected...expected)
        let objects = try ExceptionClass.allCases.map { try arguments.object($0.rawValue) }
        objects.forEach(CSwiftSSLPy_IncRef)  // the tuple's references
        let classes = try newTuple(objects)
        defer { CSwiftSSLPy_DecRef(classes) }
        try InterpreterRegistry.register(classes, as: .exceptionClasses)
        return newNone()
    }
}

/// Sets the Python exception for `error`, unless one is already set.
func raise(_ error: Error) {
    switch error {
    case PythonError.alreadySet:
        if PyErr_Occurred() == nil {
            PyErr_SetString(PyExc_SystemError, "swiftssl: error reported without an exception")
        }
    case PythonError.typeError(let message):
        PyErr_SetString(PyExc_TypeError, message)
    case PythonError.valueError(let message):
        PyErr_SetString(PyExc_ValueError, message)
    case PythonError.overflowError(let message):
        PyErr_SetString(PyExc_OverflowError, message)
    case let error as TLSError:
        raiseTLSError(error)
    default:
        PyErr_SetString(PyExc_RuntimeError, "swiftssl: unexpected error \(error)")
    }
}

/// Runs `body`, numbering its OpenSSL failures as CPython's `_setSSLError` does for everything
/// but a connection's I/O (loading credentials, decoding a certificate): errno is the reason
/// number of the error the message names, 0 when OpenSSL named none.
func withSetSSLErrorNumbers<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch var error as TLSError where error.kind == .ssl && error.code == TLSError.codeSSL {
        error.code = error.openSSLReason ?? 0
        throw error
    }
}

private func raiseTLSError(_ error: TLSError) {
    if let text = error.undecodableText {
        // CPython's PyUnicode_FromStringAndSize on the same bytes: its UnicodeDecodeError exactly.
        let decoded = text.withUnsafeBytes { buffer in
            PyUnicode_DecodeUTF8(buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count, "strict")
        }
        guard let decoded else { return }
        CSwiftSSLPy_DecRef(decoded)
    }
    switch error.kind {
    case .invalidArgument, .invalidState:
        PyErr_SetString(PyExc_ValueError, error.message)
        return
    case .timeout:
        PyErr_SetString(PyExc_TimeoutError, error.message)
        return
    case .system:
        // OSError(errno, strerror[, filename]) picks the subclass (FileNotFoundError, ...).
        let filename = error.filename.map { [newString($0)] } ?? []
        raiseInstance(of: PyExc_OSError, arguments: [newInt(Int(error.code)), newString(error.message)] + filename,
                      error: nil)
        return
    case .interrupted:
        if PyErr_CheckSignals() == 0 {
            PyErr_SetFromErrno(PyExc_InterruptedError)
        }
        return
    case .hostnameMismatch:
        raiseInstance(.certificateVerification, arguments: [newString(error.message)], error: nil)
        return
    default:
        break
    }
    let exceptionClass: ExceptionClass
    switch error.kind {
    case .certificateVerification: exceptionClass = .certificateVerification
    case .wantRead: exceptionClass = .wantRead
    case .wantWrite: exceptionClass = .wantWrite
    case .zeroReturn: exceptionClass = .zeroReturn
    case .eof: exceptionClass = .eof
    case .syscall: exceptionClass = .syscall
    default: exceptionClass = .sslError
    }
    if error.isMessageOnly {
        // CPython's SSLError(message): no errno, and no library or reason attributes either.
        raiseInstance(exceptionClass, arguments: [newString(error.message)], error: nil)
        return
    }
    raiseInstance(exceptionClass, arguments: [newInt(Int(error.code)), newString(error.message)], error: error)
}

/// Instantiates the current interpreter's `exceptionClass(*arguments)` (consuming `arguments`),
/// sets CPython's extra attributes, and raises it.
private func raiseInstance(_ kind: ExceptionClass, arguments: [PyObjectPointer?], error: TLSError?) {
    guard let exceptionClass = kind.registered() else {
        arguments.forEach { $0.map(CSwiftSSLPy_DecRef) }
        PyErr_SetString(PyExc_SystemError, "swiftssl: exception classes are not registered")
        return
    }
    defer { CSwiftSSLPy_DecRef(exceptionClass) }
    raiseInstance(of: exceptionClass, arguments: arguments, error: error)
}

/// Instantiates `exceptionClass(*arguments)` (consuming `arguments`), sets CPython's extra
/// attributes, and raises it.
private func raiseInstance(of exceptionClass: PyObjectPointer, arguments: [PyObjectPointer?], error: TLSError?) {
    guard let tuple = try? newTuple(arguments) else { return }
    let instance = PyObject_CallObject(exceptionClass, tuple)
    CSwiftSSLPy_DecRef(tuple)
    guard let instance else { return }
    defer { CSwiftSSLPy_DecRef(instance) }
    if let error {
        setOptionalString(instance, "library", error.library)
        setOptionalString(instance, "reason", error.reason)
        if error.kind == .certificateVerification {
            if let code = error.verifyCode, let value = newInt(code) {
                PyObject_SetAttrString(instance, "verify_code", value)
                CSwiftSSLPy_DecRef(value)
            }
            setOptionalString(instance, "verify_message", error.verifyMessage)
        }
    }
    PyErr_SetObject(exceptionClass, instance)
}

private func setOptionalString(_ instance: PyObjectPointer, _ name: String, _ value: String?) {
    let object = value.map(newString) ?? newNone()
    guard let object else { PyErr_Clear(); return }
    if PyObject_SetAttrString(instance, name, object) < 0 { PyErr_Clear() }
    CSwiftSSLPy_DecRef(object)
}

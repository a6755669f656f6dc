@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// Runs a connection method body with the receiver's box (shared by every connection method file).
func connectionMethod(
    _ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t, _ name: String,
    arguments expected: ClosedRange<Int>, _ body: (ConnectionBox, Arguments) throws -> PyObjectPointer?
) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindConnection, as: ConnectionBox.self)
        return try body(box, try Arguments(vector, count, function: name, expected: expected))
    }
}

extension ConnectionBox {
    /// Runs one of the connection's TLS operations: with the GIL released, since it may wait on
    /// the socket and OpenSSL's work can run beside other threads; but with the GIL kept over a
    /// ``StdlibMemoryBIOChannel``, whose callbacks are Python calls (such operations never
    /// wait). An exception one of those calls raised is what a failed operation raises.
    func operate<Result>(_ body: (_ onInterrupt: () throws -> Void) throws -> Result) throws -> Result {
        guard let channel = connection.channel as? StdlibMemoryBIOChannel else { return try withoutGIL(body) }
        do {
            return try body({})
        } catch {
            if channel.raiseStoredException() { throw PythonError.alreadySet }
            throw error
        }
    }
}

/// `do_handshake(timeout)`.
@_cdecl("swiftssl_connection_do_handshake")
func connectionDoHandshake(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "do_handshake", arguments: 0...1) { box, arguments in
        let timeout = try arguments.timeout(0)
        try box.operate { onInterrupt in
            try box.connection.handshake(timeout: timeout, onInterrupt: onInterrupt)
        }
        return newNone()
    }
}

/// `read(length, buffer_or_None, timeout)`: bytes, or the count written into `buffer`.
@_cdecl("swiftssl_connection_read")
func connectionRead(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "read", arguments: 1...3) { box, arguments in
        let length = try arguments.ssize(0)
        let timeout = try arguments.timeout(2)
        if let buffer = arguments.optional(1) {
            return try withWritableArgument(buffer, function: "read", position: 2) { view in
                let limit = length <= 0 || length > view.count ? view.count : length
                let target = UnsafeMutableRawBufferPointer(rebasing: view[0..<limit])
                let got = try box.operate { onInterrupt in
                    try box.connection.read(into: target, timeout: timeout, onInterrupt: onInterrupt)
                }
                return newInt(got)
            }
        }
        if length < 0 { throw PythonError.valueError("size should not be negative") }
        if length == 0 { return newBytes(UnsafeRawBufferPointer(start: nil, count: 0)) }
        // Size the bytes object to what this read can return, not to `length`: what is already
        // decrypted, or else the record OpenSSL may have started (a full record at most), so
        // `recv(65536)` allocates a record's worth. Over memory buffers (SSLObject) a read also
        // returns every complete record the incoming buffer holds, whose plaintext is shorter
        // than the bytes buffered; a shorter result is shrunk with one copy (asyncio used to make
        // that copy itself, joining one-record reads).
        let pending = box.connection.pendingCount
        let buffered = box.connection.bufferedIncomingCount
        // Both counts are read without the connection's lock (see pendingCount): a hint only.
        let capacity = max(0, min(length, (pending > 0 ? pending : TLSConnection.maximumRecordPayload) + buffered))
        return try newBytes(capacity: capacity) { target in
            try box.operate { onInterrupt in
                try box.connection.read(into: target, timeout: timeout, onInterrupt: onInterrupt)
            }
        }
    }
}

/// `write(data, timeout)`: the number of bytes written (all of them).
@_cdecl("swiftssl_connection_write")
func connectionWrite(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "write", arguments: 1...2) { box, arguments in
        let timeout = try arguments.timeout(1)
        return try withBuffer(try arguments.object(0)) { view in
            let data = UnsafeRawBufferPointer(view)
            let written = try box.operate { onInterrupt in
                try box.connection.write(data, timeout: timeout, onInterrupt: onInterrupt)
            }
            return newInt(written)
        }
    }
}

/// `write_all(data, timeout)`: `sendall` in one native call, None when everything was sent.
///
/// `write` already sends all of its argument (SSL_write_ex without partial writes), so this
/// differs from it only in taking what `memoryview(data).cast("B")` takes, with the same errors:
/// the Python loop it replaces in `SSLSocket.sendall` made that view and three slices per call.
@_cdecl("swiftssl_connection_write_all")
func connectionWriteAll(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "write_all", arguments: 1...2) { box, arguments in
        let timeout = try arguments.timeout(1)
        let data = try arguments.object(0)
        // A local function, not a closure in a `let`: nothing is allocated per call.
        func send(_ view: UnsafeMutableRawBufferPointer) throws -> PyObjectPointer? {
            // CPython's sendall loop makes no write at all for empty data.
            guard view.count > 0 else { return newNone() }
            let bytes = UnsafeRawBufferPointer(view)
            _ = try box.operate { onInterrupt in
                try box.connection.write(bytes, timeout: timeout, onInterrupt: onInterrupt)
            }
            return newNone()
        }
        // bytes, bytearray and contiguous memoryviews: a plain buffer, no view object needed.
        var view = Py_buffer()
        if PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) == 0 {
            defer { PyBuffer_Release(&view) }
            return try send(UnsafeMutableRawBufferPointer(start: view.buf, count: view.len))
        }
        // Anything else goes the way of memoryview(data).cast("B"), which raises what sendall raised.
        PyErr_Clear()
        let memoryView = try checked(PyMemoryView_FromObject(data))
        defer { CSwiftSSLPy_DecRef(memoryView) }
        let cast = try checked(PyObject_GetAttrString(memoryView, "cast"))
        defer { CSwiftSSLPy_DecRef(cast) }
        let castArguments = try newTuple([PyUnicode_FromString("B")])
        defer { CSwiftSSLPy_DecRef(castArguments) }
        let octets = try checked(PyObject_CallObject(cast, castArguments))
        defer { CSwiftSSLPy_DecRef(octets) }
        return try withBuffer(octets, send)
    }
}

/// `send_file(descriptor, offset, count_or_None, timeout, progress)`: sends part of a regular
/// file (``TLSConnection/sendFile(descriptor:offset:count:timeout:onInterrupt:sent:)``) with the
/// GIL released throughout (kept over CPython's MemoryBIOs, as ``ConnectionBox/operate(_:)``
/// keeps it: their methods are Python calls), each block with a deadline of its own from
/// `timeout`, as CPython's `sendfile` fallback gives each `send`. The bytes sent so far go into
/// `progress[0]` (a list), also when it raises, so the caller can leave the file where CPython
/// would.
@_cdecl("swiftssl_connection_send_file")
func connectionSendFile(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "send_file", arguments: 5...5) { box, arguments in
        guard let descriptor = Int32(exactly: try arguments.int(0)) else {
            throw PythonError.valueError("file descriptor out of range")
        }
        let offset = try arguments.int(1)
        let limit = arguments.optional(2) == nil ? nil : try arguments.int(2)
        let seconds = try arguments.seconds(3)
        let progress = try arguments.object(4)
        var sent = 0
        defer { reportProgress(sent, into: progress) }
        try box.operate { onInterrupt in
            try box.connection.sendFile(descriptor: descriptor, offset: offset, count: limit,
                                        timeout: { .seconds(seconds) }, onInterrupt: onInterrupt, sent: &sent)
        }
        return newNone()
    }
}

/// Stores `sent` as `progress[0]`, keeping any exception already raised.
private func reportProgress(_ sent: Int, into progress: PyObjectPointer) {
    var type: PyObjectPointer?, value: PyObjectPointer?, traceback: PyObjectPointer?
    PyErr_Fetch(&type, &value, &traceback)
    if let count = newInt(sent), PyList_SetItem(progress, 0, count) != 0 {
        PyErr_Clear()  // not a one-item list: the caller gets no progress, and the outcome stands
    }
    PyErr_Restore(type, value, traceback)
}

@_cdecl("swiftssl_connection_pending")
func connectionPending(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "pending", arguments: 0...0) { box, _ in
        newInt(box.connection.pendingCount)
    }
}

/// `shutdown(timeout)`: sends close_notify and waits for the peer's (unwrap).
@_cdecl("swiftssl_connection_shutdown")
func connectionShutdown(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "shutdown", arguments: 0...1) { box, arguments in
        let timeout = try arguments.timeout(0)
        try box.operate { onInterrupt in
            try box.connection.shutdown(timeout: timeout, onInterrupt: onInterrupt)
        }
        return newNone()
    }
}

/// `_detach_socket()`: the socket's descriptor was detached; stop using it
/// (``TLSConnection/detachSocket()``).
@_cdecl("swiftssl_connection_detach_socket")
func connectionDetachSocket(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_detach_socket", arguments: 0...0) { box, _ in
        try box.operate { _ in box.connection.detachSocket() }  // the lock, without the GIL
        return newNone()
    }
}

/// `getpeercert(binary_form)`: DER bytes, the decoded dict, `{}` when the context does not verify,
/// or None when the peer sent no certificate.
@_cdecl("swiftssl_connection_getpeercert")
func connectionGetPeerCert(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "getpeercert", arguments: 0...1) { box, arguments in
        let binary = arguments.count > 0 ? try arguments.bool(0) : false
        guard box.connection.isHandshakeComplete else { throw PythonError.valueError("handshake not done yet") }
        guard let certificate = box.connection.peerCertificate else { return newNone() }
        if binary {
            return certificate.derBytes.withUnsafeBytes(newBytes)
        }
        if box.connection.context.verifyMode == .none {
            return PyDict_New()
        }
        return try CertificateConversion.dictionary(of: certificate)
    }
}

/// `cipher()`: `(name, protocol, secret_bits)` or None.
@_cdecl("swiftssl_connection_cipher")
func connectionCipher(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "cipher", arguments: 0...0) { box, _ in
        guard let cipher = box.connection.negotiatedCipher else { return newNone() }
        return try newTuple([newString(cipher.name), newString(cipher.protocolVersion), newInt(cipher.secretBits)])
    }
}

@_cdecl("swiftssl_connection_version")
func connectionVersion(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "version", arguments: 0...0) { box, _ in
        box.connection.negotiatedVersion.map(newString) ?? newNone()
    }
}

@_cdecl("swiftssl_connection_set_owner")
func connectionSetOwner(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_set_owner", arguments: 1...1) { box, arguments in
        if let owner = arguments.optional(0) {
            box.replaceOwnerReference(try checked(PyWeakref_NewRef(owner, nil)))
        } else {
            box.replaceOwnerReference(nil)
        }
        return newNone()
    }
}

@_cdecl("swiftssl_connection_get_context")
func connectionGetContext(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_get_context", arguments: 0...0) { box, _ in
        let context = box.contextObject
        CSwiftSSLPy_IncRef(context)
        return context
    }
}

/// `_set_context(ssl_context)`: switches the connection (from an SNI callback, or from another
/// thread, which waits for the operation in progress).
@_cdecl("swiftssl_connection_set_context")
func connectionSetContext(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_set_context", arguments: 1...1) { box, arguments in
        let contextObject = try arguments.object(0)
        let contextBox: ContextBox
        do {
            contextBox = try unwrapNative(contextObject, kind: SwiftSSLKindContext, as: ContextBox.self)
        } catch {
            PyErr_Clear()
            throw PythonError.typeError("The value must be a SSLContext")  // CPython's words
        }
        // Waits for an operation another thread has in progress (its callbacks may need the
        // GIL, so it is released as the operations release it).
        try box.operate { _ in box.connection.switchContext(to: contextBox.context) }
        CSwiftSSLPy_IncRef(contextObject)
        box.replaceContextObject(contextObject)
        return newNone()
    }
}

@_cdecl("swiftssl_connection_server_hostname")
func connectionServerHostname(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_server_hostname", arguments: 0...0) { box, _ in
        box.connection.serverHostname.map(newString) ?? newNone()
    }
}

@_cdecl("swiftssl_connection_is_server_side")
func connectionIsServerSide(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_is_server_side", arguments: 0...0) { box, _ in
        newBool(box.connection.isServerSide)
    }
}

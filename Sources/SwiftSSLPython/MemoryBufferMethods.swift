@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `MemoryBIO()`: returns a retained ``MemoryBufferBox``. Arguments are refused with CPython's
/// words, positional ones first.
@_cdecl("swiftssl_memory_buffer_create")
func memoryBufferCreate(_ arguments: PyObjectPointer?, _ keywords: PyObjectPointer?) -> UnsafeMutableRawPointer? {
    do {
        if let arguments, PyTuple_Size(arguments) != 0 {
            throw PythonError.typeError("MemoryBIO() takes no positional arguments")
        }
        if let keywords, PyDict_Size(keywords) != 0 {
            throw PythonError.typeError("MemoryBIO() takes no keyword arguments")
        }
        return Unmanaged.passRetained(MemoryBufferBox(try TLSMemoryBuffer())).toOpaque()
    } catch {
        raise(error)
        return nil
    }
}

private func memoryBufferMethod(
    _ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t, _ name: String,
    arguments expected: ClosedRange<Int>, _ body: (TLSMemoryBuffer, Arguments) throws -> PyObjectPointer?
) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindMemoryBuffer, as: MemoryBufferBox.self)
        return try body(box.buffer, try Arguments(vector, count, function: name, expected: expected))
    }
}

@_cdecl("swiftssl_memory_buffer_write")
func memoryBufferWrite(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    memoryBufferMethod(object, vector, count, "write", arguments: 1...1) { buffer, arguments in
        let data = try arguments.object(0)
        guard isBytesLike(data) else {
            throw PythonError.typeError("a bytes-like object is required, not '\(typeName(data))'")
        }
        return newInt(try withBuffer(data) { try buffer.write(UnsafeRawBufferPointer($0)) })
    }
}

@_cdecl("swiftssl_memory_buffer_read")
func memoryBufferRead(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    memoryBufferMethod(object, vector, count, "read", arguments: 0...1) { buffer, arguments in
        let size = arguments.count > 0 ? Int(try arguments.cInt(0)) : -1
        // Straight into the bytes object's storage: one copy, as CPython's MemoryBIO.read.
        let count = size < 0 ? buffer.pendingCount : min(size, buffer.pendingCount)
        return try newBytes(capacity: count) { buffer.read(into: $0) }
    }
}

@_cdecl("swiftssl_memory_buffer_write_eof")
func memoryBufferWriteEOF(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    memoryBufferMethod(object, vector, count, "write_eof", arguments: 0...0) { buffer, _ in
        buffer.writeEOF()
        return newNone()
    }
}

@_cdecl("swiftssl_memory_buffer_pending")
func memoryBufferPending(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    memoryBufferMethod(object, vector, count, "_pending", arguments: 0...0) { buffer, _ in
        newInt(buffer.pendingCount)
    }
}

@_cdecl("swiftssl_memory_buffer_eof")
func memoryBufferEOF(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    memoryBufferMethod(object, vector, count, "_eof", arguments: 0...0) { buffer, _ in
        newBool(buffer.isAtEOF)
    }
}

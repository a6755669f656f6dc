@preconcurrency import CPython
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import _swiftssl_c
import SwiftSSL

/// CPython's own `ssl.MemoryBIO` pair, as asyncio makes for every TLS connection, adapted as the
/// ``TLSRecordChannel`` of an `SSLObject`'s connection: OpenSSL takes the peer's records from
/// `incoming` and puts its own into `outgoing` directly, with no buffers of ours to relay
/// through (a relay cost a copy each way and half again the sender's CPU time).
///
/// Every callback is a Python call, so operations over this channel keep the GIL (they never
/// wait). Only exact `_ssl.MemoryBIO` objects are adapted: their methods are C code that
/// cannot call back into the connection in the middle of an OpenSSL call.
final class StdlibMemoryBIOChannel: TLSRecordChannel {
    private let incoming: PyObjectPointer
    /// The bound methods `incoming.read` and `outgoing.write`, looked up once (the second keeps
    /// `outgoing` alive).
    private let readIncoming: PyObjectPointer
    private let writeOutgoing: PyObjectPointer
    /// The exception a call raised (fetched, so nothing else runs with it set), until the glue
    /// raises it in place of the operation's own failure; the channel fails every call until then.
    private var raised: (type: PyObjectPointer?, value: PyObjectPointer?, traceback: PyObjectPointer?)?

    /// True when both objects are exactly CPython's `_ssl.MemoryBIO` (GIL held; never raises).
    static func accepts(_ incoming: PyObjectPointer, _ outgoing: PyObjectPointer) -> Bool {
        // Only from a module already imported: the objects would be instances of it.
        guard let memoryBIOType = importedAttribute(module: "_ssl", name: "MemoryBIO") else { return false }
        defer { CSwiftSSLPy_DecRef(memoryBIOType) }
        return [incoming, outgoing].allSatisfy { object in
            guard let type = PyObject_Type(object) else { return false }
            CSwiftSSLPy_DecRef(type)  // compared by identity only; `object` keeps its type alive
            return type == memoryBIOType
        }
    }

    /// `sys.modules[module].name` as a new reference, or nil (no error set) when the module is not
    /// imported or has no such attribute.
    private static func importedAttribute(module: String, name: String) -> PyObjectPointer? {
        guard let moduleName = PyUnicode_FromString(module) else {
            PyErr_Clear()
            return nil
        }
        defer { CSwiftSSLPy_DecRef(moduleName) }
        guard let imported = PyImport_GetModule(moduleName) else {
            PyErr_Clear()
            return nil
        }
        defer { CSwiftSSLPy_DecRef(imported) }
        guard let attribute = PyObject_GetAttrString(imported, name) else {
            PyErr_Clear()
            return nil
        }
        return attribute
    }

    /// Keeps new references to both objects (GIL held; check them with ``accepts(_:)`` first).
    init(incoming: PyObjectPointer, outgoing: PyObjectPointer) throws {
        let readIncoming = try checked(PyObject_GetAttrString(incoming, "read"))
        guard let writeOutgoing = PyObject_GetAttrString(outgoing, "write") else {
            CSwiftSSLPy_DecRef(readIncoming)
            throw PythonError.alreadySet
        }
        CSwiftSSLPy_IncRef(incoming)
        self.incoming = incoming
        self.readIncoming = readIncoming
        self.writeOutgoing = writeOutgoing
    }

    deinit {
        let references = [incoming, readIncoming, writeOutgoing]
        let raised = raised
        withGIL {
            references.forEach(CSwiftSSLPy_DecRef)
            if let raised {
                [raised.type, raised.value, raised.traceback].forEach(CSwiftSSLPy_XDecRef)
            }
        }
    }

    /// Sets the exception a callback raised as the current one and forgets it: true when there
    /// was one (the caller then fails with `.alreadySet`).
    func raiseStoredException() -> Bool {
        guard let raised else { return false }
        self.raised = nil
        PyErr_Restore(raised.type, raised.value, raised.traceback)
        return true
    }

    /// Fetches the exception just raised (or makes one when a call broke its contract silently).
    private func storeException(_ fallback: @autoclosure () -> String) {
        if PyErr_Occurred() == nil {
            PyErr_SetString(PyExc_ValueError, fallback())
        }
        var type: PyObjectPointer?, value: PyObjectPointer?, traceback: PyObjectPointer?
        PyErr_Fetch(&type, &value, &traceback)
        raised = (type, value, traceback)
    }

    /// `callable(argument)`, consuming `argument` (a new reference, or nil after a failure).
    private func call(_ callable: PyObjectPointer, _ argument: PyObjectPointer?) -> PyObjectPointer? {
        guard let arguments = try? newTuple([argument]) else { return nil }
        defer { CSwiftSSLPy_DecRef(arguments) }
        return PyObject_CallObject(callable, arguments)
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> TLSRecordChannelReceipt {
        guard raised == nil, let destination = buffer.baseAddress else { return .failed }
        guard let chunk = call(readIncoming, newInt(buffer.count)) else {
            storeException("MemoryBIO.read() failed")
            return .failed
        }
        defer { CSwiftSSLPy_DecRef(chunk) }
        var source: UnsafeMutablePointer<CChar>?
        var length: Py_ssize_t = 0
        guard PyBytes_AsStringAndSize(chunk, &source, &length) == 0, let source, length <= buffer.count else {
            storeException("MemoryBIO.read(\(buffer.count)) returned more than asked for")
            return .failed
        }
        if length == 0 {
            return isAtEndOfStream() ? .endOfStream : .empty
        }
        // `chunk` owns `source` until the deferred release; `length` fits `buffer` (checked above).
        destination.copyMemory(from: source, byteCount: length)
        return .received(length)
    }

    /// `incoming.eof`: write_eof() was called and everything before it was read.
    private func isAtEndOfStream() -> Bool {
        guard let value = PyObject_GetAttrString(incoming, "eof") else {
            PyErr_Clear()
            return false
        }
        defer { CSwiftSSLPy_DecRef(value) }
        let truth = PyObject_IsTrue(value)
        if truth < 0 { PyErr_Clear() }
        return truth == 1
    }

    func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard raised == nil, let base = bytes.baseAddress else { return false }
        // A read-only view of OpenSSL's record, valid for this call: MemoryBIO.write copies it
        // into its BIO and keeps no reference to the view.
        let view = PyMemoryView_FromMemory(
            UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: CChar.self)), bytes.count, PyBUF_READ)
        guard let result = call(writeOutgoing, view) else {
            storeException("MemoryBIO.write() failed")
            return false
        }
        CSwiftSSLPy_DecRef(result)
        return true
    }

    /// Another thread's operation holds the connection and may need the GIL, which this
    /// thread holds: let go of it for a moment.
    func yieldToOtherThreads() {
        let state = PyEval_SaveThread()
        sched_yield()
        PyEval_RestoreThread(state)
    }

    var pendingCount: Int {
        guard raised == nil, let value = PyObject_GetAttrString(incoming, "pending") else {
            PyErr_Clear()
            return 0
        }
        defer { CSwiftSSLPy_DecRef(value) }
        let count = PyLong_AsSsize_t(value)
        if count < 0 { PyErr_Clear() }
        return max(0, count)
    }
}

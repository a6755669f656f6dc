@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `_set_msg_callback(callable_or_None)`: the callable is called as
/// `callable(ssl_socket, "read" | "write", version, content_type, msg_type, data)` for every
/// protocol message (CPython's private debugging hook). An exception it raises is reported as
/// unraisable (CPython re-raises it from the TLS call instead).
@_cdecl("swiftssl_context_set_msg_callback")
func contextSetMsgCallback(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    contextMethod(object, vector, count, "_set_msg_callback", arguments: 1...1) { box, arguments in
        guard let callable = arguments.optional(0) else {
            try box.context.setMessageObserver(nil)
            return newNone()
        }
        guard PyCallable_Check(callable) != 0 else { throw PythonError.typeError("not a callable object") }
        CSwiftSSLPy_IncRef(callable)
        let reference = PythonReference(owning: callable)
        try box.context.setMessageObserver { connection, message in
            withGIL { MessageDispatch.call(reference.object, connection: connection, message: message) }
        }
        return newNone()
    }
}

enum MessageDispatch {
    static func call(_ callable: PyObjectPointer, connection: TLSConnection, message: TLSProtocolMessage) {
        guard let box = connection.box, let owner = box.ownerObject() else {
            PyErr_Clear()
            return
        }
        let data = message.bytes.withUnsafeBytes(newBytes)
        guard let arguments = try? newTuple([
            owner, newString(message.isOutgoing ? "write" : "read"), newInt(message.version),
            newInt(message.contentType), newInt(message.messageType), data,
        ]) else {
            PyErr_WriteUnraisable(callable)
            return
        }
        defer { CSwiftSSLPy_DecRef(arguments) }
        guard let result = PyObject_CallObject(callable, arguments) else {
            PyErr_WriteUnraisable(callable)
            return
        }
        CSwiftSSLPy_DecRef(result)
    }
}

@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// What a native `SSLSession` holds.
final class SessionBox {
    let session: TLSSession

    init(_ session: TLSSession) {
        self.session = session
    }
}

/// Runs a session method body with the receiver's session.
private func sessionMethod(
    _ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t, _ name: String,
    _ body: (TLSSession) throws -> PyObjectPointer?
) -> PyObjectPointer? {
    pythonEntry {
        let box = try unwrapNative(object, kind: SwiftSSLKindSession, as: SessionBox.self)
        _ = try Arguments(vector, count, function: name, expected: 0...0)
        return try body(box.session)
    }
}

@_cdecl("swiftssl_session_id")
func sessionID(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    sessionMethod(object, vector, count, "_id") { session in
        session.id.withUnsafeBytes(newBytes)
    }
}

@_cdecl("swiftssl_session_time")
func sessionTime(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    sessionMethod(object, vector, count, "_time") { newInt($0.creationTime) }
}

@_cdecl("swiftssl_session_timeout")
func sessionTimeout(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    sessionMethod(object, vector, count, "_timeout") { newInt($0.timeout) }
}

@_cdecl("swiftssl_session_ticket_lifetime_hint")
func sessionTicketLifetimeHint(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    sessionMethod(object, vector, count, "_ticket_lifetime_hint") { newInt($0.ticketLifetimeHint) }
}

@_cdecl("swiftssl_session_has_ticket")
func sessionHasTicket(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    sessionMethod(object, vector, count, "_has_ticket") { newBool($0.hasTicket) }
}

/// `_get_session()`: the connection's session as a native `SSLSession`, or None.
@_cdecl("swiftssl_connection_get_session")
func connectionGetSession(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_get_session", arguments: 0...0) { box, _ in
        guard let session = box.connection.session else { return newNone() }
        return try wrapNative(SessionBox(session), kind: SwiftSSLKindSession, besides: object)
    }
}

/// `_set_session(native_session)`: offers the session for resumption (before the handshake).
@_cdecl("swiftssl_connection_set_session")
func connectionSetSession(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_set_session", arguments: 1...1) { box, arguments in
        let session = try unwrapNative(try arguments.object(0), kind: SwiftSSLKindSession, as: SessionBox.self)
        try box.connection.setSession(session.session)
        return newNone()
    }
}

/// `_session_reused()`: whether the handshake resumed a session.
@_cdecl("swiftssl_connection_session_reused")
func connectionSessionReused(_ object: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    connectionMethod(object, vector, count, "_session_reused", arguments: 0...0) { box, _ in
        newBool(box.connection.isSessionReused)
    }
}

@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// What a native `_SSLContext` holds: the core context. (Its SNI callback lives in the Python
/// object's `_sni_callback`, where the cycle collector can see it.)
final class ContextBox {
    let context: TLSContext

    init(_ context: TLSContext) {
        self.context = context
    }
}

/// What a native `_SSLSocket` holds: the core connection, the Python context object it uses
/// (strong, so `SSLSocket.context` stays valid) and its Python owner (weak, for callbacks).
final class ConnectionBox {
    let connection: TLSConnection
    var contextObject: PythonReference
    var owner: PythonReference?
    /// What the connection's weak `userInfo` points at, for callbacks to find this box. Not the
    /// box itself: a weakly referenced Swift object takes the slow, side-table path on every
    /// retain and release, and the box is retained on each read and write.
    let callbackLink = ConnectionBoxLink()

    init(_ connection: TLSConnection, contextObject: PythonReference) {
        self.connection = connection
        self.contextObject = contextObject
        callbackLink.box = Unmanaged.passUnretained(self)
        connection.userInfo = callbackLink
    }

    /// The Python owner (SSLSocket or SSLObject) as a new reference, or None when gone.
    func ownerObject() -> PyObjectPointer? {
        guard let owner else { return newNone() }
        guard let target = PyWeakref_GetObject(owner.object) else { return nil }
        CSwiftSSLPy_IncRef(target)
        return target
    }
}

/// Leads from a connection's `userInfo` back to its box; owned by the box, so it lives exactly
/// as long as the box does and the weak `userInfo` is nil once both are gone.
final class ConnectionBoxLink {
    fileprivate(set) var box: Unmanaged<ConnectionBox>?
}

extension TLSConnection {
    /// The box of the Python object wrapping this connection, while that object exists.
    var box: ConnectionBox? {
        (userInfo as? ConnectionBoxLink)?.box?.takeUnretainedValue()
    }
}

/// What a native `MemoryBIO` holds.
final class MemoryBufferBox {
    let buffer: TLSMemoryBuffer

    init(_ buffer: TLSMemoryBuffer) {
        self.buffer = buffer
    }
}

/// Drops the retain a native object held (called from the type's dealloc).
@_cdecl("swiftssl_core_release")
func coreRelease(_ core: UnsafeMutableRawPointer?) {
    guard let core else { return }
    Unmanaged<AnyObject>.fromOpaque(core).release()
}

/// Wraps a Swift box in a new native object of `kind`.
func wrapNative(_ box: AnyObject, kind: SwiftSSLKind) throws -> PyObjectPointer {
    try checked(swiftssl_wrap_core(kind, Unmanaged.passRetained(box).toOpaque()))
}

/// The box inside a native object, or TypeError.
func unwrapNative<Box: AnyObject>(_ object: PyObjectPointer?, kind: SwiftSSLKind, as type: Box.Type) throws -> Box {
    guard let core = swiftssl_unwrap_core(object, kind) else { throw PythonError.alreadySet }
    return Unmanaged<Box>.fromOpaque(core).takeUnretainedValue()
}

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
/// (strong, so `SSLSocket.context` stays valid) and a weak reference to its Python owner, for
/// callbacks. Both Python references are held as plain pointers, released in `deinit`: one
/// object per connection rather than three.
final class ConnectionBox {
    let connection: TLSConnection
    /// The Python context object (a strong reference this box owns).
    private(set) var contextObject: PyObjectPointer
    /// A weakref to the Python owner (SSLSocket or SSLObject), owned by this box, or nil.
    private var ownerReference: PyObjectPointer?

    /// Adopts a strong reference to `contextObject`; points the connection's `userInfo` here.
    init(_ connection: TLSConnection, contextObject: PyObjectPointer) {
        self.connection = connection
        self.contextObject = contextObject
        connection.userInfo = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        connection.userInfo = nil
        let context = contextObject, owner = ownerReference
        withGIL {
            CSwiftSSLPy_DecRef(context)
            CSwiftSSLPy_XDecRef(owner)
        }
    }

    /// Adopts a strong reference to a new context object, releasing the old one (GIL held).
    func replaceContextObject(_ object: PyObjectPointer) {
        let old = contextObject
        contextObject = object
        CSwiftSSLPy_DecRef(old)
    }

    /// Adopts `weakref` (a new reference, or nil) as the owner, releasing the old one (GIL held).
    func replaceOwnerReference(_ weakref: PyObjectPointer?) {
        let old = ownerReference
        ownerReference = weakref
        CSwiftSSLPy_XDecRef(old)
    }

    /// The Python owner (SSLSocket or SSLObject) as a new reference, or None when gone.
    func ownerObject() -> PyObjectPointer? {
        guard let ownerReference else { return newNone() }
        guard let target = PyWeakref_GetObject(ownerReference) else { return nil }
        CSwiftSSLPy_IncRef(target)
        return target
    }
}

extension TLSConnection {
    /// The box of the Python object wrapping this connection, while that object exists.
    var box: ConnectionBox? {
        userInfo.map { Unmanaged<ConnectionBox>.fromOpaque($0).takeUnretainedValue() }
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

/// Wraps a Swift box in a new native object of `kind`, of the type that `anchor`'s module made
/// (the native object it comes from), so it belongs to `anchor`'s interpreter.
func wrapNative(_ box: AnyObject, kind: SwiftSSLKind, besides anchor: PyObjectPointer?) throws -> PyObjectPointer {
    try checked(swiftssl_wrap_core(anchor, kind, Unmanaged.passRetained(box).toOpaque()))
}

/// The box inside a native object, or TypeError.
func unwrapNative<Box: AnyObject>(_ object: PyObjectPointer?, kind: SwiftSSLKind, as type: Box.Type) throws -> Box {
    guard let core = swiftssl_unwrap_core(object, kind) else { throw PythonError.alreadySet }
    return Unmanaged<Box>.fromOpaque(core).takeUnretainedValue()
}

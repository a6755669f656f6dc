import Synchronization

/// What a context's OpenSSL callbacks read during handshakes: the SNI and TLS-PSK callbacks, the
/// ALPN list, the key log and the message observer. ``TLSContext`` keeps them behind one lock,
/// because a setter on one thread and a handshake on another (Python releases the GIL around
/// handshakes) would otherwise race on a Swift reference, and a reference released while another
/// thread is taking it is a use after free.
struct TLSContextCallbacks {
    var serverName: ServerNameCallback?
    var preSharedKey = PreSharedKeyCallbacks()
    var alpnProtocols: ALPNProtocolList?
    var keyLog: KeyLogFile?
    var messageObserver: TLSMessageObserver?
}

extension Mutex where Value == TLSContextCallbacks {
    /// The current value at `field`, retained for the caller: callbacks run after the lock is let go.
    func current<Field>(_ field: KeyPath<TLSContextCallbacks, Field>) -> Field {
        withLock { $0[keyPath: field] }
    }

    /// Stores `value` at `field` and returns what was there, which the caller releases after the
    /// lock is let go, by discarding it or later (a released callback may run code, a Python
    /// object's `__del__` say, that reads these callbacks again).
    @discardableResult
    func replace<Field>(_ field: WritableKeyPath<TLSContextCallbacks, Field>, with value: Field) -> Field {
        withLock { callbacks in
            let previous = callbacks[keyPath: field]
            callbacks[keyPath: field] = value
            return previous
        }
    }
}

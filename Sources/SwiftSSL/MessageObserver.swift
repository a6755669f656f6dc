import COpenSSL

/// One TLS protocol message (or record header) as it crosses the wire, for debugging
/// (CPython's private `SSLContext._msg_callback`).
public struct TLSProtocolMessage {
    /// True for a message this side sent, false for one it received.
    public var isOutgoing: Bool
    /// The protocol version (`0x0303` for TLS 1.2); from the record itself for record headers.
    public var version: Int
    /// The record content type (`SSL3_RT_*`: 20 change_cipher_spec, 21 alert, 22 handshake,
    /// 256 record header, 257 TLS 1.3 inner content type).
    public var contentType: Int
    /// The handshake message type, alert description, or -1, as CPython derives it.
    public var messageType: Int
    /// The message bytes.
    public var bytes: [UInt8]

    init(isOutgoing: Bool, version: Int32, contentType: Int32, bytes: [UInt8]) {
        self.isOutgoing = isOutgoing
        self.contentType = Int(contentType)
        self.bytes = bytes
        var version = Int(version)
        switch contentType {
        case SSL3_RT_CHANGE_CIPHER_SPEC:
            messageType = Int(SSL3_MT_CHANGE_CIPHER_SPEC)
        case SSL3_RT_ALERT:
            // Byte 0 is the level, byte 1 the description.
            messageType = bytes.count > 1 ? Int(bytes[1]) : -1
        case SSL3_RT_HANDSHAKE, SSL3_RT_INNER_CONTENT_TYPE:
            messageType = bytes.first.map(Int.init) ?? -1
        case SSL3_RT_HEADER:
            // A record header: type, then the version in bytes 1 and 2.
            messageType = bytes.first.map(Int.init) ?? -1
            if bytes.count > 2 { version = Int(bytes[1]) << 8 | Int(bytes[2]) }
        default:
            messageType = -1
        }
        self.version = version
    }
}

/// Called for every protocol message of every connection of a context, on the thread running
/// that connection's TLS operation.
public typealias TLSMessageObserver = (TLSConnection, TLSProtocolMessage) -> Void

extension TLSContext {
    /// Observes every protocol message of connections made from now on (nil stops it).
    public func setMessageObserver(_ observer: TLSMessageObserver?) throws {
        try requireMutable()
        callbacks.replace(\.messageObserver, with: observer)  // the old one is released after the lock
        guard observer != nil else {
            SSL_CTX_set_msg_callback(sslContext, nil)
            return
        }
        SSL_CTX_set_msg_callback(sslContext) { writing, version, contentType, buffer, length, ssl, _ in
            guard let ssl, let connection = TLSConnection.owner(of: ssl),
                  let observer = connection.context.callbacks.current(\.messageObserver) else { return }
            // OpenSSL passes `length` readable bytes at `buffer` for the duration of the call.
            let bytes = buffer.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
            observer(connection, TLSProtocolMessage(isOutgoing: writing != 0, version: version,
                                                    contentType: contentType, bytes: bytes))
        }
    }
}

import COpenSSL

/// The OpenSSL `BIO` under a ``TLSConnection`` made over a ``TLSRecordChannel``: each read and
/// write OpenSSL makes goes straight to the channel, with a memory BIO's rules (an empty
/// channel asks for a retry; its end of stream is an end of file).
final class ChannelTransport {
    /// The owned `BIO*` (one reference; the `SSL` holds another).
    let bio: OpaquePointer
    let channel: TLSRecordChannel
    /// True once the channel reported the end of its stream.
    private var sawEndOfStream = false

    init(channel: TLSRecordChannel) throws {
        OpenSSLErrorQueue.clear()
        guard let method = ChannelTransport.method, let bio = BIO_new(method) else {
            throw TLSError.fromQueue("failed to allocate a channel BIO")
        }
        self.bio = bio
        self.channel = channel
        // The connection owns this transport and outlives every call on its BIO.
        TransportBIO.attach(bio, to: self)
    }

    deinit {
        TransportBIO.detachAndFree(bio)
    }

    /// The BIO_METHOD, made once; never freed.
    private static let method: OpaquePointer? = {
        let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
        guard let method = BIO_meth_new(type, "swiftssl record channel") else { return nil }
        _ = BIO_meth_set_read_ex(method) { bio, buffer, count, readCount in
            TransportBIO.clearRetryFlags(bio)
            readCount?.pointee = 0
            guard let buffer, count > 0 else { return 0 }
            return TransportBIO.withOwner(of: bio, as: ChannelTransport.self) { transport -> Int32 in
                switch transport.channel.receive(into: UnsafeMutableRawBufferPointer(start: buffer, count: count)) {
                case .received(let got) where got > 0 && got <= count:
                    readCount?.pointee = got
                    return 1
                case .empty:
                    BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY)
                case .endOfStream:
                    transport.sawEndOfStream = true
                case .received, .failed:  // a count out of range is a failed receive
                    break
                }
                return 0
            } ?? 0
        }
        _ = BIO_meth_set_write_ex(method) { bio, buffer, count, written in
            TransportBIO.clearRetryFlags(bio)
            written?.pointee = 0
            guard let buffer, count > 0 else { return 0 }
            return TransportBIO.withOwner(of: bio, as: ChannelTransport.self) { transport -> Int32 in
                // A failure is -1, as from OpenSSL's own BIOs (see SocketTransport).
                guard transport.channel.send(UnsafeRawBufferPointer(start: buffer, count: count)) else { return -1 }
                written?.pointee = count
                return 1
            } ?? -1
        }
        _ = BIO_meth_set_ctrl(method) { bio, command, _, _ in
            switch command {
            case BIO_CTRL_DUP, BIO_CTRL_SET_CLOSE, BIO_CTRL_FLUSH:
                return 1
            case BIO_CTRL_EOF:
                return TransportBIO.withOwner(of: bio, as: ChannelTransport.self) { $0.sawEndOfStream ? 1 : 0 } ?? 0
            case BIO_CTRL_PENDING:
                return TransportBIO.withOwner(of: bio, as: ChannelTransport.self) { $0.channel.pendingCount } ?? 0
            default:
                return 0
            }
        }
        return method
    }()
}

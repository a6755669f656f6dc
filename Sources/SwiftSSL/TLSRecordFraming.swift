/// Follows TLS record boundaries (5-byte header, then `length` bytes) in a byte stream, without
/// looking inside records. ``SocketTransport`` feeds it every byte it takes from the socket, so it
/// knows how much of an incomplete record it holds, which bounds how far it may read ahead.
///
/// Any header that is not a TLS record header (an SSLv2-format ClientHello, garbage from a
/// hostile peer) ends the tracking for good: ``isSynchronized`` becomes false and the transport
/// then only ever reads the bytes OpenSSL asks for.
struct TLSRecordFraming {
    /// The largest record body a peer may send: 2^14 plaintext plus 2048 of expansion (RFC 5246).
    static let maximumBodyLength = 16384 + 2048
    /// Bytes in a record header.
    static let headerLength = 5

    // Stored in the narrowest types that hold them (a body is at most 18,432 bytes): one of these
    // lives in every socket connection.
    /// False once a header did not look like TLS; nothing is tracked after that.
    private(set) var isSynchronized = true
    /// Bytes of the current record's header seen so far (0 to 5).
    private var headerCount: UInt8 = 0
    /// The current record's high length byte, once seen.
    private var lengthHigh: UInt8 = 0
    /// Body bytes of the current record still to come.
    private var bodyRemaining: UInt16 = 0
    /// The current record's body length, once its header is complete.
    private var bodyLength: UInt16 = 0

    /// How many bytes of a record that is not yet complete have been seen: 0 at a boundary.
    var bytesIntoIncompleteRecord: Int {
        if headerCount < TLSRecordFraming.headerLength { return Int(headerCount) }
        return TLSRecordFraming.headerLength + Int(bodyLength) - Int(bodyRemaining)
    }

    /// True between a record's header and the end of its body.
    var isReadingBody: Bool {
        isSynchronized && headerCount == TLSRecordFraming.headerLength && bodyRemaining > 0
    }

    /// Advances over `bytes`, the next bytes of the stream.
    mutating func observe(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while isSynchronized && index < bytes.count {
            if headerCount < TLSRecordFraming.headerLength {
                observeHeaderByte(bytes[index])
                index += 1
            } else {
                let step = min(Int(bodyRemaining), bytes.count - index)
                bodyRemaining -= UInt16(step)
                index += step
                if bodyRemaining == 0 { headerCount = 0 }
            }
        }
    }

    private mutating func observeHeaderByte(_ byte: UInt8) {
        switch headerCount {
        case 0:
            // change_cipher_spec, alert, handshake, application_data, heartbeat.
            if !(20...24).contains(byte) { isSynchronized = false; return }
        case 1:
            // Every TLS version's major number is 3.
            if byte != 3 { isSynchronized = false; return }
        case 3:
            lengthHigh = byte
        case 4:
            let length = Int(lengthHigh) << 8 | Int(byte)
            if length > TLSRecordFraming.maximumBodyLength { isSynchronized = false; return }
            bodyLength = UInt16(length)
            bodyRemaining = bodyLength
        default:
            break
        }
        headerCount += 1
        // A zero-length record is complete with its header.
        if headerCount == TLSRecordFraming.headerLength && bodyLength == 0 { headerCount = 0 }
    }
}

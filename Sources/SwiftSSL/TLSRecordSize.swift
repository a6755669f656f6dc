/// The sizes TLS allows a record on the wire (RFC 5246 and RFC 8446), for sizing the buffers
/// that hold several records.
enum TLSRecordSize {
    /// Bytes in a record header: content type, version, length.
    static let headerLength = 5
    /// The largest record body a peer may send: 2^14 plaintext plus 2048 of expansion.
    static let maximumBodyLength = 16384 + 2048
    /// The largest record, header included.
    static let largestRecord = headerLength + maximumBodyLength
}

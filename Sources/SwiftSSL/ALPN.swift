import COpenSSL

/// Application-Layer Protocol Negotiation names in TLS wire format (each name prefixed by its
/// length), in a buffer whose address never moves while the list lives.
final class ALPNProtocolList {
    let names: [String]
    let wire: UnsafeMutableBufferPointer<UInt8>

    /// Encodes `names`; each must be 1 to 255 bytes long.
    init(_ names: [String]) throws {
        var encoded: [UInt8] = []
        for name in names {
            try TLSContext.checkALPNProtocolName(name)
            let bytes = Array(name.utf8)
            encoded.append(UInt8(bytes.count))
            encoded += bytes
        }
        guard encoded.count <= Int(UInt16.max) else {
            throw TLSError.invalidArgument("ALPN protocol list is too long")
        }
        self.names = names
        wire = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(encoded.count, 1))
        _ = wire.initialize(from: encoded)
        count = encoded.count
    }

    /// The number of meaningful bytes in ``wire``.
    let count: Int

    deinit {
        wire.deallocate()
    }
}

extension TLSContext {
    /// Throws CPython's error for an ALPN name that is empty or longer than 255 bytes.
    public static func checkALPNProtocolName(_ name: String) throws {
        guard (1...255).contains(name.utf8.count) else {
            // CPython raises SSLError here, not ValueError.
            throw TLSError.messageOnly("ALPN protocols must be 1 to 255 in length")
        }
    }

    /// Offers (client) or accepts (server) these application protocols, most preferred first.
    /// A server picks by its own preference; when nothing matches, no protocol is selected.
    public func setALPNProtocols(_ names: [String]) throws {
        try requireMutable()
        let list = try ALPNProtocolList(names)
        OpenSSLErrorQueue.clear()
        // SSL_CTX_set_alpn_protos returns 0 on success, unlike most of OpenSSL.
        if SSL_CTX_set_alpn_protos(sslContext, list.wire.baseAddress, UInt32(list.count)) != 0 {
            throw TLSError.fromQueue("could not set ALPN protocols")
        }
        callbacks.replace(\.alpnProtocols, with: list)  // the old list is freed after the lock
        // Unretained: the SSL_CTX cannot outlive this object.
        SSL_CTX_set_alpn_select_cb(sslContext, alpnSelectTrampoline, Unmanaged.passUnretained(self).toOpaque())
    }

    /// The protocols set by ``setALPNProtocols(_:)``.
    public var alpnProtocolNames: [String] {
        callbacks.current(\.alpnProtocols)?.names ?? []
    }
}

extension TLSConnection {
    /// The application protocol both sides agreed on, or nil.
    public var selectedALPNProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }
}

/// The server's ALPN choice: its first protocol the client also offered, else no ALPN at all
/// (CPython answers "no acknowledgement" rather than failing the handshake).
///
/// The answer points into the client's list, OpenSSL's own copy, which it still holds when it
/// copies the answer after this returns; the server's list may be replaced by another thread and
/// freed as this returns (OpenSSL's `SSL_select_next_proto` would point into that one).
private func alpnSelectTrampoline(
    _ ssl: OpaquePointer?, _ output: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outputLength: UnsafeMutablePointer<UInt8>?, _ input: UnsafePointer<UInt8>?, _ inputLength: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let output, let outputLength, let input, let argument else { return SSL_TLSEXT_ERR_NOACK }
    let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
    guard let list = context.callbacks.current(\.alpnProtocols) else { return SSL_TLSEXT_ERR_NOACK }
    let offered = UnsafeBufferPointer(start: input, count: Int(inputLength))
    let choice = withExtendedLifetime(list) {
        ALPNSelection.choose(preferring: UnsafeBufferPointer(rebasing: list.wire[0..<list.count]), from: offered)
    }
    guard let choice else { return SSL_TLSEXT_ERR_NOACK }
    output.pointee = input + choice.lowerBound
    outputLength.pointee = UInt8(choice.count)
    return SSL_TLSEXT_ERR_OK
}

/// ALPN selection over two wire-format lists (each name prefixed by its length).
enum ALPNSelection {
    /// The byte range, inside `offered`, of the first name of `preferred` (in its order) that
    /// `offered` also contains, or nil. A malformed list is read up to where it breaks.
    static func choose(preferring preferred: UnsafeBufferPointer<UInt8>,
                       from offered: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let offeredNames = names(in: offered)
        for wanted in names(in: preferred) {
            if let match = offeredNames.first(where: { offered[$0].elementsEqual(preferred[wanted]) }) {
                return match
            }
        }
        return nil
    }

    /// The byte ranges of the names in `list`, without their length bytes; empty names skipped.
    static func names(in list: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < list.count {
            let length = Int(list[index])
            let start = index + 1
            guard length <= list.count - start else { break }
            if length > 0 { ranges.append(start..<start + length) }
            index = start + length
        }
        return ranges
    }
}

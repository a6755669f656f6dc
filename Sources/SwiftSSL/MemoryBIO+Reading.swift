import COpenSSL

/// Read-only OpenSSL BIOs over caller memory, so PEM and DER parsing never copies key material.
enum ReadOnlyBIO {
    /// Runs `body` with a BIO that reads `bytes` in place; the BIO is freed afterwards.
    static func with<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (OpaquePointer) throws -> Result) throws -> Result {
        guard bytes.count <= Int(Int32.max) else {
            throw TLSError.invalidArgument("input is too large (\(bytes.count) bytes)")
        }
        // BIO_new_mem_buf wants a non-NULL pointer even for empty input.
        var empty: UInt8 = 0
        let base = bytes.baseAddress ?? withUnsafePointer(to: &empty) { UnsafeRawPointer($0) }
        OpenSSLErrorQueue.clear()
        guard let bio = BIO_new_mem_buf(base, Int32(bytes.count)) else {
            throw TLSError.fromQueue("could not allocate a memory BIO")
        }
        defer { BIO_free(bio) }
        return try body(bio)
    }
}

/// Tells PEM text from DER: PEM is text that contains a `-----BEGIN` armour line.
enum EncodingSniffer {
    static let pemMarker = Array("-----BEGIN".utf8)

    /// True when `bytes` contains a PEM armour line anywhere (leading text is allowed, as in
    /// `openssl x509 -text` output).
    static func looksLikePEM(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let marker = pemMarker
        guard bytes.count >= marker.count else { return false }
        var index = 0
        while index + marker.count <= bytes.count {
            if bytes[index] == marker[0] {
                var matched = true
                for offset in 1..<marker.count where bytes[index + offset] != marker[offset] {
                    matched = false
                    break
                }
                if matched { return true }
            }
            index += 1
        }
        return false
    }
}

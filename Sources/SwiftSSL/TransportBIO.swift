import COpenSSL

/// What the BIOs whose methods swiftssl implements (``SocketTransport``, ``ChannelTransport``)
/// share: each BIO's data pointer is the Swift object that owns it, unretained (the owner frees
/// the BIO before it goes), and its callbacks reach that owner without retaining it.
enum TransportBIO {
    /// Points `bio` at `owner` and marks it initialised; `owner` must outlive every call on it.
    static func attach<Owner: AnyObject>(_ bio: OpaquePointer, to owner: Owner) {
        BIO_set_data(bio, Unmanaged.passUnretained(owner).toOpaque())
        BIO_set_init(bio, 1)
    }

    /// Unhooks `bio` from its owner and drops the owner's reference (the `SSL` may hold another).
    static func detachAndFree(_ bio: OpaquePointer) {
        BIO_set_data(bio, nil)
        BIO_free(bio)
    }

    /// Runs `body` with the owner of `bio`, without retaining it (the `SSL` that calls back keeps
    /// its connection, and so the owner, alive); nil when it has none.
    @inline(__always)
    static func withOwner<Owner: AnyObject, Result>(
        of bio: OpaquePointer?, as _: Owner.Type, _ body: (Owner) -> Result
    ) -> Result? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<Owner>.fromOpaque(data)._withUnsafeGuaranteedRef(body)
    }

    /// Clears the retry flags a read or write callback sets, as OpenSSL's own BIOs do first.
    @inline(__always)
    static func clearRetryFlags(_ bio: OpaquePointer?) {
        BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
    }
}

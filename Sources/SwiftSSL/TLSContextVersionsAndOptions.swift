import COpenSSL

extension TLSContext {
    /// The `SSL_OP_*` options in force.
    public var options: UInt64 {
        UInt64(SSL_CTX_get_options(sslContext))
    }

    /// Replaces the options: bits not in `options` are cleared, new bits set.
    public func setOptions(_ options: UInt64) throws {
        try requireMutable()
        let current = UInt64(SSL_CTX_get_options(sslContext))
        SSL_CTX_clear_options(sslContext, current & ~options)
        SSL_CTX_set_options(sslContext, options & ~current)
    }

    /// The lowest version negotiated; ``TLSVersion/minimumSupported`` when unbounded.
    public var minimumVersion: TLSVersion {
        let value = Int(CSwiftSSL_SSL_CTX_get_min_proto_version(sslContext))
        return value == 0 ? .minimumSupported : TLSVersion(rawValue: value) ?? .minimumSupported
    }

    /// The highest version negotiated; ``TLSVersion/maximumSupported`` when unbounded.
    public var maximumVersion: TLSVersion {
        let value = Int(CSwiftSSL_SSL_CTX_get_max_proto_version(sslContext))
        return value == 0 ? .maximumSupported : TLSVersion(rawValue: value) ?? .maximumSupported
    }

    /// Sets the lowest version; refused for contexts pinned to one version, as in CPython.
    public func setMinimumVersion(_ version: TLSVersion) throws {
        try requireVersionsAdjustable()
        try setVersionBounds(minimum: boundValue(version, isMinimum: true), maximum: nil)
    }

    /// Sets the highest version; refused for contexts pinned to one version, as in CPython.
    public func setMaximumVersion(_ version: TLSVersion) throws {
        try requireVersionsAdjustable()
        try setVersionBounds(minimum: nil, maximum: boundValue(version, isMinimum: false))
    }

    /// Throws CPython's `ValueError` for a context pinned to one version, whose bounds cannot move.
    public func requireVersionsAdjustable() throws {
        try requireMutable()
        if protocolSelection.pinnedVersion != nil {
            throw TLSError.invalidArgument(
                "The context's protocol doesn't support modification of highest and lowest version.")
        }
    }

    /// OpenSSL reads 0 as "no bound"; MINIMUM_SUPPORTED as a maximum means "the lowest version
    /// libssl has" (TLS 1.0 without SSL 3), and MAXIMUM_SUPPORTED as a minimum "the highest", as
    /// in CPython.
    private func boundValue(_ version: TLSVersion, isMinimum: Bool) -> Int32 {
        switch (version, isMinimum) {
        case (.minimumSupported, false): return Int32(CSwiftSSL_MINIMUM_AVAILABLE_VERSION)
        case (.maximumSupported, true): return TLSVersion.tlsv1_3.openSSLValue
        default: return version.openSSLValue
        }
    }

    func setVersionBounds(minimum: Int32?, maximum: Int32?) throws {
        OpenSSLErrorQueue.clear()
        if let minimum, CSwiftSSL_SSL_CTX_set_min_proto_version(sslContext, minimum) != 1 {
            throw TLSError.fromQueue("Unsupported protocol version 0x\(String(minimum, radix: 16))", kind: .invalidArgument)
        }
        if let maximum, CSwiftSSL_SSL_CTX_set_max_proto_version(sslContext, maximum) != 1 {
            throw TLSError.fromQueue("Unsupported protocol version 0x\(String(maximum, radix: 16))", kind: .invalidArgument)
        }
    }

    /// OpenSSL's security level (0–5) for this context.
    public var securityLevel: Int {
        Int(SSL_CTX_get_security_level(sslContext))
    }
}

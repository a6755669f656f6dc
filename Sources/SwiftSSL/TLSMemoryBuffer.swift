import COpenSSL

/// A growable in-memory byte queue that a ``TLSConnection`` reads TLS records from or writes them
/// to, for transports that are not a socket (CPython's `MemoryBIO`). Owns one OpenSSL memory `BIO`.
public final class TLSMemoryBuffer {
    /// The owned `BIO*`.
    let bio: OpaquePointer

    /// Makes an empty buffer.
    public init() throws {
        OpenSSLErrorQueue.clear()
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw TLSError.fromQueue("failed to allocate a memory BIO")
        }
        // An empty memory BIO reports "retry" rather than EOF until ``writeEOF()``.
        _ = BIO_ctrl(bio, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        self.bio = bio
    }

    deinit {
        BIO_free(bio)
    }

    /// The number of bytes waiting to be read.
    public var pendingCount: Int {
        Int(BIO_ctrl_pending(bio))
    }

    /// True once ``writeEOF()`` was called and everything before it was read.
    public var isAtEOF: Bool {
        sawEOF && pendingCount == 0
    }

    private var sawEOF = false

    /// Appends bytes; refused after ``writeEOF()``.
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        if sawEOF {
            throw TLSError.messageOnly("cannot write() after write_eof()")
        }
        guard bytes.count > 0, let base = bytes.baseAddress else { return 0 }
        guard bytes.count <= Int(Int32.max) else {
            throw TLSError(kind: .system, code: 75, message: "string longer than 2147483647 bytes")
        }
        OpenSSLErrorQueue.clear()
        let written = BIO_write(bio, base, Int32(bytes.count))
        if written < 0 {
            throw TLSError.fromQueue("failed to write to memory BIO")
        }
        return Int(written)
    }

    /// Removes and returns up to `maximum` bytes (all of them when nil).
    public func read(maximum: Int? = nil) -> [UInt8] {
        let count = min(maximum ?? pendingCount, pendingCount)
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { storage, initialized in
            initialized = read(into: UnsafeMutableRawBufferPointer(storage))
        }
    }

    /// Moves up to `buffer.count` bytes into `buffer` (one copy, no allocation) and returns how
    /// many: 0 when the buffer is empty.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return max(0, Int(BIO_read(bio, base, Int32(clamping: buffer.count))))
    }

    /// Marks the end of the stream: once drained, reads by the TLS layer see EOF.
    public func writeEOF() {
        sawEOF = true
        _ = BIO_ctrl(bio, BIO_C_SET_BUF_MEM_EOF_RETURN, 0, nil)
    }
}

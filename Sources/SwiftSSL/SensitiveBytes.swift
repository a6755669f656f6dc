import COpenSSL

/// A heap buffer for key material and passwords that is wiped with `OPENSSL_cleanse` when freed.
///
/// Swift arrays may be copied or reallocated behind our back, leaving stray copies of a key in
/// freed memory; this buffer is allocated once, never grows, and is cleansed in `deinit`.
public final class SensitiveBytes {
    /// The bytes; valid for the life of this object.
    public let buffer: UnsafeMutableRawBufferPointer

    /// Copies `bytes` into a fresh buffer. The caller should drop or wipe its own copy.
    public init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        let count = bytes.count
        // One spare byte so the contents can always be handed to C as NUL-terminated text.
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count + 1, alignment: 1)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        var index = 0
        for byte in bytes {
            buffer[index] = byte
            index += 1
        }
        self.count = count
    }

    /// Takes ownership of an already-filled buffer of `count` meaningful bytes (plus one spare).
    init(adopting buffer: UnsafeMutableRawBufferPointer, count: Int) {
        self.buffer = buffer
        self.count = count
    }

    /// The number of meaningful bytes.
    public let count: Int

    /// The meaningful bytes, without the spare terminator.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    deinit {
        if let base = buffer.baseAddress {
            OPENSSL_cleanse(base, buffer.count)
        }
        buffer.deallocate()
    }
}

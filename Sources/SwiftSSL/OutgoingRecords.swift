/// Records that one ``TLSConnection`` write has encrypted but not yet handed to the socket, so
/// that a long write sends several records per system call instead of one (see
/// ``SocketTransport``). It holds ciphertext only; the buffer exists only while it has bytes.
struct OutgoingRecords {
    /// How many bytes are gathered before they are sent: room for three of the largest records
    /// TLS allows (header, 16 KiB of plaintext, up to 2 KiB of expansion). Three full AES-GCM
    /// records, 48 KiB, go out in one `send`; four would just pass loopback's 64 KiB segment,
    /// and a segment with a tiny tail costs more than the system call it saves.
    static let capacity = 3 * TLSRecordSize.largestRecord

    /// `buffer[start..<end]` is what is still to be sent (16-bit offsets: `capacity` is under
    /// 64 KiB, and there is one of these per socket connection).
    private var buffer: UnsafeMutableRawPointer?
    private var start: UInt16 = 0
    private var end: UInt16 = 0

    /// True when nothing waits to be sent.
    var isEmpty: Bool { start == end }

    /// Whether `count` more bytes fit behind what is gathered.
    func hasRoom(for count: Int) -> Bool {
        count <= OutgoingRecords.capacity - Int(end)
    }

    /// Copies `count` bytes behind what is gathered; the caller checked ``hasRoom(for:)``.
    mutating func append(_ source: UnsafeRawPointer, count: Int) {
        let storage = buffer ?? UnsafeMutableRawPointer.allocate(byteCount: OutgoingRecords.capacity, alignment: 16)
        buffer = storage
        (storage + Int(end)).copyMemory(from: source, byteCount: count)
        end += UInt16(count)
    }

    /// Hands everything gathered to `send` (which returns what it took, or -1 with `errno`
    /// set), until all is gone or `send` fails. Returns true when all is gone (the buffer is
    /// then freed); false when `send` failed, with its `errno`, keeping what it did not take.
    mutating func drain(through send: (UnsafeRawPointer, Int) -> Int) -> Bool {
        guard let storage = buffer else { return true }
        while start < end {
            let sent = send(storage + Int(start), Int(end - start))
            guard sent > 0 else { return false }
            start += UInt16(min(sent, Int(end - start)))
        }
        release()
        return true
    }

    /// Frees the buffer and forgets what it held.
    mutating func release() {
        buffer?.deallocate()
        buffer = nil
        start = 0
        end = 0
    }
}

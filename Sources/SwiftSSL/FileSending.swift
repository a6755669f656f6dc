#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension TLSConnection {
    /// How much of a file ``sendFile(descriptor:offset:count:timeout:onInterrupt:sent:)`` reads
    /// and writes at a time: sixteen full records.
    public static let fileBlockSize = 16 * maximumRecordPayload

    /// Sends part of a file through TLS: from byte `offset`, `count` bytes or up to the end of
    /// the file, read with `pread` (the descriptor's own position is neither used nor moved) in
    /// blocks of ``fileBlockSize``, each written as ``write(_:timeout:onInterrupt:)`` does with
    /// the deadline `timeout()` gives for it. The TLS counterpart of `sendfile(2)`: the bytes
    /// cannot go from the page cache to the socket as they are, since they must be encrypted.
    ///
    /// - Parameter sent: the bytes of this part already sent, normally 0: the call sends from
    ///   `offset + sent` up to `offset + count`, and adds what it sends, including when it throws
    ///   partway. Pass back the value a call that threw left there to resume that part.
    /// - Throws: ``TLSError`` for the connection; a ``TLSError/Kind/system`` error when the file
    ///   cannot be read; ``TLSError/Kind/invalidArgument`` for a negative offset or count.
    public func sendFile(descriptor: Int32, offset: Int, count: Int?, timeout: () -> IOTimeout,
                         onInterrupt: () throws -> Void, sent: inout Int) throws {
        guard offset >= 0, (count ?? 0) >= 0 else {
            throw TLSError.invalidArgument("offset and count must not be negative")
        }
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: TLSConnection.fileBlockSize, alignment: 16)
        defer { block.deallocate() }
        while true {
            // offset + sent cannot overflow: sent only grows by bytes read below Int.max.
            let position = offset + sent
            let wanted = min(block.count, count.map { $0 - sent } ?? block.count, Int.max - position)
            guard wanted > 0 else { return }
            let got = pread(descriptor, block.baseAddress, wanted, off_t(position))
            if got < 0 {
                let code = errno
                if code == EINTR {
                    try onInterrupt()
                    continue
                }
                throw TLSError.system(errno: code, message: String(cString: strerror(code)))
            }
            if got == 0 { return }  // the end of the file
            _ = try write(UnsafeRawBufferPointer(rebasing: block[0..<got]), timeout: timeout(), onInterrupt: onInterrupt)
            sent += got
        }
    }
}

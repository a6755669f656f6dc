#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A path for a connection's records through buffers the caller owns, called from inside
/// OpenSSL on the thread running the connection's operation. The Python glue adapts CPython's
/// `ssl.MemoryBIO` with one, so asyncio's buffers carry the records without a relay.
///
/// Like a ``TLSMemoryBuffer`` pair, a channel never waits: when it has nothing to give, the
/// operation ends with ``TLSError/Kind/wantRead`` and the caller feeds it and calls again.
public protocol TLSRecordChannel: AnyObject {
    /// Moves up to `buffer.count` (at least 1) bytes the peer sent into `buffer`.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> TLSRecordChannelReceipt
    /// Takes all of `bytes` for the peer; false when it cannot, which fails the operation as a
    /// lost connection would (the channel keeps the reason for its owner).
    func send(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// How many bytes the peer sent that are waiting to be received.
    var pendingCount: Int { get }
    /// Called, repeatedly, while another thread's operation holds the connection, instead of
    /// blocking until it is done: a channel whose callers hold a lock that operation may need
    /// (Python's GIL) lets go of it here for a moment. The default just yields the processor.
    func yieldToOtherThreads()
}

extension TLSRecordChannel {
    /// Yields the processor.
    public func yieldToOtherThreads() {
        sched_yield()
    }
}

/// What ``TLSRecordChannel/receive(into:)`` did.
public enum TLSRecordChannelReceipt: Equatable {
    /// Put this many bytes (1 up to the buffer's size) at the start of the buffer.
    case received(Int)
    /// Nothing yet: more may come.
    case empty
    /// Nothing, and nothing ever will: the stream from the peer has ended.
    case endOfStream
    /// Could not receive; fails the operation as a lost connection would.
    case failed
}

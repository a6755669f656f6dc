#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How long a socket operation may wait, mirroring a Python socket's timeout.
public enum IOTimeout: Sendable, Equatable {
    /// Wait as long as it takes (`settimeout(None)`).
    case blocking
    /// Never wait: report ``TLSError/Kind/wantRead`` or ``TLSError/Kind/wantWrite`` (`settimeout(0)`).
    case nonBlocking
    /// Wait until this point on the monotonic clock.
    case deadline(MonotonicInstant)

    /// A deadline `seconds` from now; `nil` means blocking and 0 non-blocking, as in Python.
    /// Python refuses a NaN timeout (`ValueError`); here it counts as 0, so that it never waits.
    public static func seconds(_ seconds: Double?) -> IOTimeout {
        guard let seconds else { return .blocking }
        if !(seconds > 0) { return .nonBlocking }
        return .deadline(MonotonicInstant.now().adding(seconds: seconds))
    }
}

/// A point on the monotonic clock, in nanoseconds.
public struct MonotonicInstant: Sendable, Equatable, Comparable {
    /// Nanoseconds since an arbitrary origin.
    public var nanoseconds: Int64

    /// The instant `nanoseconds` after the clock's origin (``now()`` gives the current one).
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The current instant.
    public static func now() -> MonotonicInstant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicInstant(nanoseconds: Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec))
    }

    /// This instant moved by `seconds`, saturating instead of overflowing: at `Int64.max / 2`
    /// going forward (NaN included: a wait that long never ends), at `Int64.min / 2` going back.
    public func adding(seconds: Double) -> MonotonicInstant {
        let delta = seconds * 1e9
        if !(delta < Double(Int64.max / 2)) { return MonotonicInstant(nanoseconds: Int64.max / 2) }
        if !(delta > Double(Int64.min / 2)) { return MonotonicInstant(nanoseconds: Int64.min / 2) }
        let (sum, overflow) = nanoseconds.addingReportingOverflow(Int64(delta))
        guard overflow else { return MonotonicInstant(nanoseconds: sum) }
        return MonotonicInstant(nanoseconds: delta > 0 ? Int64.max / 2 : Int64.min / 2)
    }

    /// Orders instants.
    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }
}

/// Waits for a socket to become readable or writable with `poll`.
enum SocketWaiter {
    enum Outcome {
        case ready
        case timedOut
        case interrupted
    }

    /// Waits until `descriptor` is ready, the deadline passes, or a signal arrives.
    static func wait(descriptor: Int32, forWriting: Bool, until deadline: MonotonicInstant?) throws -> Outcome {
        var entry = pollfd(fd: descriptor, events: Int16(forWriting ? POLLOUT : POLLIN), revents: 0)
        var milliseconds: Int32 = -1
        if let deadline {
            let (remaining, overflow) = deadline.nanoseconds.subtractingReportingOverflow(MonotonicInstant.now().nanoseconds)
            // Overflow: a deadline so far back (a hand-made Int64.min) that it passed long ago.
            if overflow || remaining <= 0 { return .timedOut }
            // Round up so a sub-millisecond remainder still waits rather than spinning.
            milliseconds = Int32(clamping: (remaining + 999_999) / 1_000_000)
        }
        let result = poll(&entry, 1, milliseconds)
        if result < 0 {
            let code = errno
            if code == EINTR { return .interrupted }
            throw TLSError.system(errno: code, message: String(cString: strerror(code)))
        }
        // Errors and hang-ups count as ready: the next OpenSSL call reports what happened.
        return result == 0 ? .timedOut : .ready
    }

    /// Whether `descriptor` is ready now, without waiting. An error counts as ready (the next
    /// OpenSSL call reports it); a signal as not ready (the wait that follows handles it).
    static func isReady(descriptor: Int32, forWriting: Bool) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(forWriting ? POLLOUT : POLLIN), revents: 0)
        let result = poll(&entry, 1, 0)
        return result > 0 || (result < 0 && errno != EINTR)
    }
}

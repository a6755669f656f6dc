import XCTest
@testable import SwiftSSL

/// Timeouts from any Double and deadlines from any instant: no trap, no endless wait (each of
/// these trapped or hung before: -infinity, -1e12 s, a hand-made Int64.min deadline, NaN).
final class IOTimeoutTests: XCTestCase {
    func testAddingSecondsSaturatesBothWays() {
        let now = MonotonicInstant.now()
        XCTAssertEqual(now.adding(seconds: .infinity).nanoseconds, Int64.max / 2)
        XCTAssertEqual(now.adding(seconds: .nan).nanoseconds, Int64.max / 2)
        XCTAssertEqual(now.adding(seconds: 1e300).nanoseconds, Int64.max / 2)
        XCTAssertEqual(now.adding(seconds: -.infinity).nanoseconds, Int64.min / 2)
        XCTAssertEqual(now.adding(seconds: -1e12).nanoseconds, Int64.min / 2)
        XCTAssertEqual(MonotonicInstant(nanoseconds: 5).adding(seconds: 1).nanoseconds, 1_000_000_005)
        XCTAssertEqual(MonotonicInstant(nanoseconds: Int64.max - 10).adding(seconds: 1).nanoseconds, Int64.max / 2)
    }

    func testNaNSecondsNeverWait() {
        XCTAssertEqual(IOTimeout.seconds(.nan), .nonBlocking)
        XCTAssertEqual(IOTimeout.seconds(0), .nonBlocking)
        XCTAssertEqual(IOTimeout.seconds(-1), .nonBlocking)
        XCTAssertEqual(IOTimeout.seconds(nil), .blocking)
    }

    func testAnyDeadlineIsWaitedForWithoutOverflow() throws {
        var descriptors: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&descriptors), 0)
        defer { descriptors.forEach { close($0) } }
        for nanoseconds in [Int64.min, Int64.min / 2, -1, 0] {
            let outcome = try SocketWaiter.wait(descriptor: descriptors[0], forWriting: false,
                                                until: MonotonicInstant(nanoseconds: nanoseconds))
            XCTAssertEqual(outcome, .timedOut)
        }
        let soon = MonotonicInstant.now().adding(seconds: 0.01)
        XCTAssertEqual(try SocketWaiter.wait(descriptor: descriptors[0], forWriting: false, until: soon), .timedOut)
        XCTAssertEqual(try SocketWaiter.wait(descriptor: descriptors[1], forWriting: true,
                                             until: MonotonicInstant(nanoseconds: Int64.max)), .ready)
    }
}

import XCTest
@testable import SwiftSSL

/// The records a write gathers before sending them, drained through a stand-in for `send`.
final class OutgoingRecordsTests: XCTestCase {
    /// An AES-GCM record carrying 16 KiB: header, plaintext, content type, tag.
    private let fullRecord = 5 + 16384 + 1 + 16

    private func append(_ records: inout OutgoingRecords, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { records.append($0.baseAddress!, count: $0.count) }
    }

    func testThreeFullRecordsFitAndAFourthDoesNot() {
        var records = OutgoingRecords()
        defer { records.release() }
        for _ in 0..<3 {
            XCTAssertTrue(records.hasRoom(for: fullRecord))
            append(&records, [UInt8](repeating: 1, count: fullRecord))
        }
        XCTAssertFalse(records.hasRoom(for: fullRecord))
        // One send stays under loopback's 64 KiB segment (65,483 bytes of payload), and the
        // offsets fit their 16 bits.
        XCTAssertLessThan(OutgoingRecords.capacity, 65483)
        XCTAssertLessThanOrEqual(OutgoingRecords.capacity, Int(UInt16.max))
    }

    func testDrainsInOrderThroughPartialSends() {
        var records = OutgoingRecords()
        let first = (0..<1000).map { UInt8($0 % 251) }
        let second = (0..<777).map { UInt8($0 % 13) }
        append(&records, first)
        append(&records, second)
        XCTAssertFalse(records.isEmpty)
        var sent: [UInt8] = []
        let drained = records.drain { pointer, count in
            let step = min(count, 100)  // a socket that takes 100 bytes per call
            sent += UnsafeRawBufferPointer(start: pointer, count: step)
            return step
        }
        XCTAssertTrue(drained)
        XCTAssertTrue(records.isEmpty)
        XCTAssertEqual(sent, first + second)
    }

    func testAFailedSendKeepsWhatWasNotSentForTheNextDrain() {
        var records = OutgoingRecords()
        let bytes = (0..<3000).map { UInt8($0 % 199) }
        append(&records, bytes)
        var sent: [UInt8] = []
        var calls = 0
        let firstDrain = records.drain { pointer, count in
            calls += 1
            if calls == 3 {
                errno = EAGAIN
                return -1
            }
            sent += UnsafeRawBufferPointer(start: pointer, count: 1000)
            return 1000
        }
        XCTAssertFalse(firstDrain)
        XCTAssertEqual(errno, EAGAIN)
        XCTAssertFalse(records.isEmpty)
        XCTAssertEqual(sent.count, 2000)
        let secondDrain = records.drain { pointer, count in
            sent += UnsafeRawBufferPointer(start: pointer, count: count)
            return count
        }
        XCTAssertTrue(secondDrain)
        XCTAssertEqual(sent, bytes)
    }

    func testDrainingNothingSendsNothing() {
        var records = OutgoingRecords()
        XCTAssertTrue(records.isEmpty)
        XCTAssertTrue(records.drain { _, _ in
            XCTFail("nothing to send")
            return -1
        })
    }
}

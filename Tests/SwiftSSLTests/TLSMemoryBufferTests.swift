import XCTest
import SwiftSSL

/// The memory buffer's byte-queue contract: reads return what was written, in order, in pieces
/// of any size, without being zero-filled or padded.
final class TLSMemoryBufferTests: XCTestCase {
    private func write(_ buffer: TLSMemoryBuffer, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { _ = try buffer.write($0) }
    }

    func testReadIntoMovesBytesInOrderAndStopsAtWhatIsBuffered() throws {
        let buffer = try TLSMemoryBuffer()
        let written = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try write(buffer, written)
        var target = [UInt8](repeating: 0xEE, count: 50_000)
        let first = target.withUnsafeMutableBytes { buffer.read(into: $0) }
        XCTAssertEqual(first, 50_000)
        XCTAssertEqual(target, Array(written[0..<50_000]))
        XCTAssertEqual(buffer.pendingCount, 20_000)
        // A target larger than what is left: only the rest, the tail of the target untouched.
        target = [UInt8](repeating: 0xEE, count: 50_000)
        let second = target.withUnsafeMutableBytes { buffer.read(into: $0) }
        XCTAssertEqual(second, 20_000)
        XCTAssertEqual(Array(target[0..<20_000]), Array(written[50_000...]))
        XCTAssertEqual(Set(target[20_000...]), [0xEE])
        XCTAssertEqual(target.withUnsafeMutableBytes { buffer.read(into: $0) }, 0)
    }

    func testReadIntoAnEmptyTargetTakesNothing() throws {
        let buffer = try TLSMemoryBuffer()
        try write(buffer, [1, 2, 3])
        XCTAssertEqual(buffer.read(into: UnsafeMutableRawBufferPointer(start: nil, count: 0)), 0)
        XCTAssertEqual(buffer.pendingCount, 3)
    }

    func testReadMaximumReturnsExactlyWhatIsThere() throws {
        let buffer = try TLSMemoryBuffer()
        try write(buffer, [9, 8, 7, 6, 5])
        XCTAssertEqual(buffer.read(maximum: 2), [9, 8])
        XCTAssertEqual(buffer.read(maximum: 0), [])
        XCTAssertEqual(buffer.read(maximum: -1), [])
        XCTAssertEqual(buffer.read(), [7, 6, 5])
        XCTAssertEqual(buffer.read(), [])
    }

    func testEndOfFileIsReachedOnceTheBytesBeforeItAreRead() throws {
        let buffer = try TLSMemoryBuffer()
        try write(buffer, [1, 2])
        buffer.writeEOF()
        XCTAssertFalse(buffer.isAtEOF)
        XCTAssertThrowsError(try write(buffer, [3]))
        var target = [UInt8](repeating: 0, count: 8)
        XCTAssertEqual(target.withUnsafeMutableBytes { buffer.read(into: $0) }, 2)
        XCTAssertTrue(buffer.isAtEOF)
    }
}

import XCTest
@testable import SwiftSSL

/// Record boundaries followed across arbitrary cuts of the stream.
final class TLSRecordFramingTests: XCTestCase {
    private func record(type: UInt8 = 23, length: Int) -> [UInt8] {
        [type, 3, 3, UInt8(length >> 8), UInt8(length & 0xFF)] + [UInt8](repeating: 0xAB, count: length)
    }

    private func observe(_ framing: inout TLSRecordFraming, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { framing.observe($0) }
    }

    func testCountsTheIncompleteRecordWhereverTheStreamIsCut() {
        let stream = record(length: 300) + record(type: 21, length: 2) + record(length: 0) + record(length: 16384)
        let boundaries: Set<Int> = [0, 305, 312, 317, stream.count]
        for cut in 0...stream.count {
            var framing = TLSRecordFraming()
            observe(&framing, Array(stream[0..<cut]))
            let lastBoundary = boundaries.filter { $0 <= cut }.max() ?? 0
            XCTAssertEqual(framing.bytesIntoIncompleteRecord, cut - lastBoundary, "cut at \(cut)")
            XCTAssertTrue(framing.isSynchronized)
        }
    }

    func testByteByByteEqualsAllAtOnce() {
        let stream = record(length: 1) + record(length: 17) + record(length: 5)
        var whole = TLSRecordFraming()
        observe(&whole, Array(stream.prefix(20)))
        var pieces = TLSRecordFraming()
        for byte in stream.prefix(20) { observe(&pieces, [byte]) }
        XCTAssertEqual(whole.bytesIntoIncompleteRecord, pieces.bytesIntoIncompleteRecord)
    }

    func testAnythingButATLSHeaderStopsTheTracking() {
        for bad in [[0x80, 0x2E, 0x01, 0x03, 0x01], [0x16, 0x02, 0x00, 0x00, 0x05], [0x17, 0x03, 0x03, 0xFF, 0xFF],
                    Array("GET / HTTP/1.1".utf8)] as [[UInt8]] {
            var framing = TLSRecordFraming()
            observe(&framing, bad)
            XCTAssertFalse(framing.isSynchronized, "\(bad)")
        }
        var framing = TLSRecordFraming()
        observe(&framing, record(length: 18432))  // the largest body a peer may send
        XCTAssertTrue(framing.isSynchronized)
        XCTAssertEqual(framing.bytesIntoIncompleteRecord, 0)
    }
}

import XCTest
@testable import SwiftSSL

/// The server's ALPN choice over wire-format lists: its own preference order, an answer inside the
/// client's list (the one OpenSSL still holds when it copies the answer), malformed lists read up to
/// where they break.
final class ALPNTests: XCTestCase {
    private func wire(_ names: [String]) -> [UInt8] {
        names.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
    }

    private func choose(_ preferred: [UInt8], _ offered: [UInt8]) -> String? {
        preferred.withUnsafeBufferPointer { preferred in
            offered.withUnsafeBufferPointer { offered in
                ALPNSelection.choose(preferring: preferred, from: offered).map { range in
                    String(decoding: offered[range], as: UTF8.self)
                }
            }
        }
    }

    func testTheServersOrderDecides() {
        XCTAssertEqual(choose(wire(["h2", "http/1.1"]), wire(["http/1.1", "h2"])), "h2")
        XCTAssertEqual(choose(wire(["http/1.1", "h2"]), wire(["h2", "http/1.1"])), "http/1.1")
        XCTAssertEqual(choose(wire(["spdy/3", "http/1.1"]), wire(["h2", "http/1.1"])), "http/1.1")
        XCTAssertNil(choose(wire(["h2"]), wire(["http/1.1"])))
        XCTAssertNil(choose([], wire(["h2"])))
        XCTAssertNil(choose(wire(["h2"]), []))
    }

    func testNamesMatchWholeNotByPrefix() {
        XCTAssertNil(choose(wire(["h2"]), wire(["h2c"])))
        XCTAssertNil(choose(wire(["h2c"]), wire(["h2"])))
    }

    func testMalformedListsAreReadUpToWhereTheyBreak() {
        // A length running past the end: the names before it still count, nothing after.
        XCTAssertEqual(choose(wire(["h2"]), wire(["h2"]) + [9, 0x61]), "h2")
        XCTAssertNil(choose(wire(["a"]), [9, 0x61]))
        // Empty names are skipped, not matched.
        XCTAssertEqual(choose([0] + wire(["h2"]), [0] + wire(["h2"])), "h2")
        XCTAssertEqual(ALPNSelection.names(in: UnsafeBufferPointer(start: nil, count: 0)), [])
    }
}

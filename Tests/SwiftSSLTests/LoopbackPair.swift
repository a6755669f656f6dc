import Foundation
import SwiftSSL

/// A connected pair of TCP sockets on 127.0.0.1, closed when released.
final class LoopbackPair {
    let client: Int32
    let server: Int32

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                guard bind(listener, socketAddress, length) == 0, listen(listener, 1) == 0,
                      getsockname(listener, socketAddress, &length) == 0 else {
                    throw TLSError.system(errno: errno, message: "bind/listen failed")
                }
            }
        }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.client = client
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) }
        }
        guard connected == 0 else { throw TLSError.system(errno: errno, message: "connect failed") }
        server = accept(listener, nil, nil)
        close(listener)
        // The server side runs with deadlines (``serverTimeout``) so a broken test fails instead of hanging.
        _ = fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK)
    }

    /// A fresh ten-second deadline for one server-side operation.
    static var serverTimeout: IOTimeout { .seconds(10) }

    /// Closes the client's end early, so a server waiting on it sees EOF.
    func shutdownClient() {
        Glibc.shutdown(client, Int32(SHUT_RDWR))
    }

    deinit {
        close(client)
        close(server)
    }
}

/// Runs `body` on another thread; `wait()` returns its result or rethrows its error.
final class Background<Result> {
    private var outcome: Swift.Result<Result, Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping () throws -> Result) {
        let thread = Thread { [self] in
            self.outcome = Swift.Result { try body() }
            self.done.signal()
        }
        thread.start()
    }

    func wait() throws -> Result {
        done.wait()
        guard let outcome else { throw TLSError.invalidState("no outcome") }
        return try outcome.get()
    }
}

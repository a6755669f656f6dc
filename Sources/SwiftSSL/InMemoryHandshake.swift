extension TLSConnection {
    /// Runs the handshakes of a client and a server that live in the same process and talk through
    /// memory, each one's ``outgoing`` buffer being the other's ``incoming`` (a test, an example or
    /// a benchmark with no socket in between), until both are complete.
    ///
    /// Steps each unfinished side in turn, the client first, with
    /// `handshake(timeout: .nonBlocking)`: each call goes as far as the bytes already waiting in
    /// its incoming buffer allow, leaving its reply in the other's.
    ///
    /// ```swift
    /// let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
    /// let client = try TLSConnection(context: clientContext, incoming: toClient, outgoing: toServer,
    ///                                serverHostname: "example.com")
    /// let server = try TLSConnection(context: serverContext, incoming: toServer, outgoing: toClient,
    ///                                serverSide: true)
    /// try TLSConnection.completeHandshakes(client: client, server: server)
    /// ```
    ///
    /// - Throws: The first failure of either side (a failed certificate verification, a protocol
    ///   alert, ...); a ``TLSError/Kind/invalidArgument`` error when the two connections are not
    ///   wired to each other through memory buffers; a ``TLSError/Kind/invalidState`` error when a
    ///   handshake is unfinished and no bytes wait for either unfinished side, so neither can go on.
    public static func completeHandshakes(client: TLSConnection, server: TLSConnection) throws {
        guard let toServer = client.outgoing, let toClient = client.incoming,
              server.incoming === toServer, server.outgoing === toClient else {
            throw TLSError.invalidArgument(
                "completeHandshakes needs a client and a server wired to each other through memory buffers")
        }
        var unfinished = [client, server].filter { !$0.isHandshakeComplete }
        while !unfinished.isEmpty {
            for connection in unfinished {
                do {
                    try connection.handshake(timeout: .nonBlocking)
                } catch let error as TLSError where error.kind == .wantRead {
                    continue  // waits for the other side's next flight
                }
            }
            unfinished = unfinished.filter { !$0.isHandshakeComplete }
            // A side that returned wantRead has taken every byte it was given: only new bytes for
            // an unfinished side can move either handshake on.
            if !unfinished.isEmpty, !unfinished.contains(where: { ($0.incoming?.pendingCount ?? 0) > 0 }) {
                throw TLSError.invalidState(
                    "the handshake stopped: each unfinished side waits for bytes the other has not sent")
            }
        }
    }
}

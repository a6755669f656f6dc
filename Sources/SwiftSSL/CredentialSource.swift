import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where certificate, key or CA bytes come from: a file, memory, or a reader (a Python file-like
/// object's `read()`, a database row, …). Memory and reader content is never written anywhere.
public enum CredentialSource {
    /// A file on disk, read once per load.
    case path(String)
    /// A file named by the bytes the operating system sees, for names that are not UTF-8 (what
    /// Python's `os.fsencode` gives for `"ca-\udcff.pem"`); read once per load.
    case fileSystemPath([UInt8])
    /// PEM or DER content already in memory.
    case bytes(SensitiveBytes)
    /// A closure returning the whole content; called once per load.
    case reader(() throws -> SensitiveBytes)

    /// PEM or DER content from a byte collection.
    public static func memory<Bytes: Collection>(_ bytes: Bytes) -> CredentialSource where Bytes.Element == UInt8 {
        .bytes(SensitiveBytes(copying: bytes))
    }

    /// PEM content from a string.
    public static func pem(_ text: String) -> CredentialSource {
        .bytes(SensitiveBytes(copying: text.utf8))
    }

    /// Reads the whole content; the result is wiped when released.
    public func load() throws -> SensitiveBytes {
        try load(onInterrupt: {})
    }

    /// Reads the whole content, calling `onInterrupt` each time a signal interrupts opening or
    /// reading a file (it may throw to give up: Python's signal handlers run there), then going
    /// on. A file may block for as long as its writer wants (a FIFO): call this without locks
    /// others need (Python's GIL).
    public func load(onInterrupt: () throws -> Void) throws -> SensitiveBytes {
        switch self {
        case .path(let path): return try FileReader.readAll(path: Array(path.utf8), onInterrupt: onInterrupt)
        case .fileSystemPath(let name): return try FileReader.readAll(path: name, onInterrupt: onInterrupt)
        case .bytes(let bytes): return bytes
        case .reader(let read): return try read()
        }
    }
}

/// A file or directory name as the operating system takes it: its bytes, NUL-terminated.
enum FileSystemName {
    /// Runs `body` with `name` as a C string. A NUL inside the name is refused: C would stop
    /// there and name another file than the one given.
    static func withCString<Result>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) throws -> Result) throws -> Result {
        guard !name.contains(0) else { throw TLSError.invalidArgument("embedded null byte") }
        return try (name + [0]).withUnsafeBufferPointer { terminated in
            try terminated.withMemoryRebound(to: CChar.self) { characters in
                // Never nil: the buffer holds at least the terminating NUL.
                guard let base = characters.baseAddress else { throw TLSError.invalidArgument("empty file name") }
                return try body(base)
            }
        }
    }
}

/// Reads whole files with plain POSIX calls, so errors carry `errno` the way Python's `OSError`
/// expects, and the content lands straight in a cleansable buffer.
enum FileReader {
    /// Most read from what is not a regular file (a device such as /dev/zero, a FIFO), which may
    /// never end; real bundles are well under a megabyte.
    static let maximumStreamSize = 64 << 20
    /// Most read from a regular file: far beyond any bundle, short of what memory can hold.
    static let maximumFileSize = 1 << 30

    /// The whole content of the file `name`: to its end for a regular file (up to
    /// `fileLimit` bytes), up to `streamLimit` bytes for anything else; SSLError beyond.
    static func readAll(path name: [UInt8], streamLimit: Int = maximumStreamSize, fileLimit: Int = maximumFileSize,
                        onInterrupt: () throws -> Void = {}) throws -> SensitiveBytes {
        let path = String(decoding: name, as: UTF8.self)  // for messages only
        var descriptor: Int32
        while true {
            descriptor = try FileSystemName.withCString(name) { open($0, O_RDONLY | O_CLOEXEC) }
            if descriptor >= 0 { break }
            let code = errno
            guard code == EINTR else { throw systemError(code, path: path) }
            try onInterrupt()
        }
        defer { close(descriptor) }
        var status = stat()
        let isRegularFile = fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        let limit = isRegularFile ? fileLimit : streamLimit
        var capacity = 16 * 1024
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity + 1, alignment: 1)
        var count = 0
        var adopted = false
        defer {
            if !adopted {
                OPENSSL_cleanse(buffer.baseAddress, buffer.count)
                buffer.deallocate()
            }
        }
        while true {
            if count == capacity {
                guard capacity < limit else {
                    throw TLSError(kind: .ssl, code: 0, message: isRegularFile
                        ? "\(path) is larger than \(limit) bytes (swiftssl)"
                        : "\(path) is not a regular file and gave more than \(limit) bytes (swiftssl)")
                }
                let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * 2 + 1, alignment: 1)
                larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                OPENSSL_cleanse(buffer.baseAddress, buffer.count)
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            guard let base = buffer.baseAddress else { break }
            // [count, capacity) lies inside the allocation, which holds capacity + 1 bytes.
            let got = read(descriptor, base + count, capacity - count)
            if got < 0 {
                let code = errno
                guard code == EINTR else { throw systemError(code, path: path) }
                try onInterrupt()
                continue
            }
            if got == 0 { break }
            count += got
        }
        buffer[count] = 0
        adopted = true
        return SensitiveBytes(adopting: buffer, count: count)
    }

    /// An `OSError`-shaped error: `[Errno 2] No such file or directory`.
    static func systemError(_ code: Int32, path: String) -> TLSError {
        let text = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return TLSError.system(errno: code, message: text)
    }
}

// swift-tools-version:5.9
import PackageDescription

/// The interpreter-facing targets need the GNU feature macros (else `fd_set` clashes with Glibc)
/// and the stable ABI of CPython 3.11, so one extension loads in 3.11, 3.12 and 3.13.
let pythonCSettings: [CSetting] = [
    .define("_GNU_SOURCE"),
    .define("Py_LIMITED_API", to: "0x030B0000"),
]
let pythonSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-D_GNU_SOURCE", "-Xcc", "-DPy_LIMITED_API=0x030B0000"]),
]

let package = Package(
    name: "swiftssl",
    products: [
        /// The TLS core for Swift programs: no Python inside.
        .library(name: "SwiftSSL", targets: ["SwiftSSL"]),
        /// The CPython extension module `swiftssl._swiftssl` (copied into python/swiftssl by the build).
        .library(name: "_swiftssl", type: .dynamic, targets: ["_swiftssl_c", "SwiftSSLPython"]),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "SwiftSSL", dependencies: ["COpenSSL"]),
        .systemLibrary(
            name: "CPython",
            pkgConfig: "python3",
            providers: [.apt(["libpython3-dev"])]
        ),
        .target(
            name: "_swiftssl_c",
            dependencies: ["CPython"],
            cSettings: pythonCSettings
        ),
        .target(
            name: "SwiftSSLPython",
            dependencies: ["SwiftSSL", "CPython", "_swiftssl_c"],
            swiftSettings: pythonSwiftSettings
        ),
        .testTarget(name: "SwiftSSLTests", dependencies: ["SwiftSSL"]),
        /// The core alone, memory to memory: `bash scripts/bench` builds and runs it (BENCHMARKS.md).
        .executableTarget(name: "SwiftSSLBenchmarks", dependencies: ["SwiftSSL"], path: "Benchmarks/SwiftSSLBenchmarks"),
        /// A small program using SwiftSSL alone: `swift run SwiftSSLExample CA.pem CHAIN.pem KEY.pem`.
        .executableTarget(name: "SwiftSSLExample", dependencies: ["SwiftSSL"], path: "Examples/SwiftSSLExample"),
    ]
)

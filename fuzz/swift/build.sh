#!/usr/bin/env bash
# Builds build/fuzz-core: fuzz/swift/FuzzCore.swift compiled with every file of Sources/SwiftSSL
# into one executable, instrumented for libFuzzer and AddressSanitizer (swiftc -sanitize=fuzzer,address;
# the Swift toolchain's clang ships libFuzzer). Usage: see FuzzCore.swift.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
mkdir -p "$REPO_ROOT/build"
"$SWIFTC" -sanitize=fuzzer,address -parse-as-library -g -Onone -module-name SwiftSSL \
    -I "$REPO_ROOT/Sources/COpenSSL" "$REPO_ROOT/fuzz/swift/FuzzCore.swift" "$REPO_ROOT"/Sources/SwiftSSL/*.swift \
    -o "$REPO_ROOT/build/fuzz-core" 2> >(grep -v "Cannot export local symbol" >&2)
echo "built $REPO_ROOT/build/fuzz-core"

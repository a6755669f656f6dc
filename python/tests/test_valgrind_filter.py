"""scripts/valgrind_leaks.py, the filter behind scripts/test's "valgrind" step, on small synthetic
valgrind memcheck logs: project frames (SwiftSSL symbols, files under Sources/) in a leak or an
error record fail it; XCTest's, Foundation's and the Swift runtime caches' do not.

Only the script is tested here; the installed package is not involved.
"""

import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "valgrind_leaks.py"

PREAMBLE = """\
==4242== Memcheck, a memory error detector
==4242== Copyright (C) 2002-2022, and GNU GPL'd, by Julian Seward et al.
==4242== Command: .build/debug/swiftsslPackageTests.xctest
==4242== Parent PID: 4000
==4242== 
"""
MALLOC = "   at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)"
XCTEST_CALLERS = [
    "   by 0x68DD5E1: $s6XCTest0A4CaseC10invokeTestyyF (in /opt/swift/usr/lib/swift/linux/libXCTest.so)",
    "   by 0x68DB20B: $s6XCTest7XCTMainys5NeverOSayAA0A4CaseCm04testD5Class_SaySS_yAFKctG8allTeststGF"
    " (in /opt/swift/usr/lib/swift/linux/libXCTest.so)",
]
PARSE_PEM = ("   by 0x129C39: $s8SwiftSSL11CertificateC11parseAllPEMySayACGSWKFZSpys13OpaquePointerVGSgSo6BIO_stVKXEfU_"
             " (Sources/SwiftSSL/Certificate.swift:60)")
TEST_FRAME = ("   by 0x1BD8B7: $s13SwiftSSLTests15TLSContextTestsC26testTrustStoreFromPEMAndDERyyKF"
              " (Tests/SwiftSSLTests/TLSContextTests.swift:126)")


def record(header, *frames):
    return "\n".join(["==4242== " + header] + ["==4242== " + frame for frame in frames] + ["==4242== "]) + "\n"


def log(*records, complete=True):
    text = PREAMBLE + "==4242== HEAP SUMMARY:\n==4242==     in use at exit: 1,000 bytes in 10 blocks\n==4242== \n"
    text += "".join(records)
    if complete:
        text += ("==4242== LEAK SUMMARY:\n==4242==    definitely lost: 48 bytes in 1 blocks\n==4242== \n"
                 "==4242== ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 0 from 0)\n")
    return text


def run_filter(tmp_path, text):
    path = tmp_path / "valgrind.log"
    path.write_text(text)
    return subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, timeout=60)


def test_a_definitely_lost_block_allocated_by_swiftssl_fails_and_names_the_frame(tmp_path):
    result = run_filter(tmp_path, log(record(
        "3,628 (384 direct, 3,244 indirect) bytes in 1 blocks are definitely lost in loss record 9 of 10",
        MALLOC,
        "   by 0x4B373E8: CRYPTO_zalloc (in /usr/lib/x86_64-linux-gnu/libcrypto.so.3)",
        "   by 0x4B59D12: PEM_ASN1_read_bio (in /usr/lib/x86_64-linux-gnu/libcrypto.so.3)",
        PARSE_PEM, TEST_FRAME, *XCTEST_CALLERS)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Sources/SwiftSSL/Certificate.swift:60" in result.stdout
    assert "definitely lost in project code" in result.stdout
    assert "from project code 384 bytes in 1 records" in result.stdout
    assert "FAILED" in result.stderr


def test_leaks_of_foundation_and_xctest_alone_pass(tmp_path):
    result = run_filter(tmp_path, log(
        record("32 bytes in 1 blocks are definitely lost in loss record 3 of 10",
               "   at 0x4846FA3: memalign (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)",
               "   by 0x4FA1B2C: swift_slowAlloc (in /opt/swift/usr/lib/swift/linux/libswiftCore.so)",
               "   by 0x68D9C31: $s6XCTest21awaitUsingExpectationyyyyYaKcKF"
               " (in /opt/swift/usr/lib/swift/linux/libXCTest.so)",
               *XCTEST_CALLERS),
        record("48 bytes in 1 blocks are indirectly lost in loss record 4 of 10",
               MALLOC,
               "   by 0x5B7281C: $s10Foundation7ProcessC3runyyKF (in /opt/swift/usr/lib/swift/linux/libFoundation.so)",
               "   by 0x188619: $s13SwiftSSLTests12PythonOracleO3run_5inputS2S_SStKFZ"
               " (Tests/SwiftSSLTests/CertificateDecoderTests.swift:290)",
               *XCTEST_CALLERS),
        record("Conditional jump or move depends on uninitialised value(s)",
               "   at 0x4FE6E08: $ss9_allASCIIySbSRys5UInt8VGF (in /opt/swift/usr/lib/swift/linux/libswiftCore.so)",
               "   by 0x5B6C56C: $s10Foundation29findMaximumOpenFromProcSelfFD33_05FBE738056ADAC488E6D2B534411459LL"
               "s5Int32VSgyF (in /opt/swift/usr/lib/swift/linux/libFoundation.so)",
               *XCTEST_CALLERS)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "definitely lost:        32 bytes in    1 records; from project code 0 bytes in 0 records" in result.stdout
    assert "indirectly lost:        48 bytes in    1 records" in result.stdout
    assert "errors: 1 contexts that are not leaks, 0 with project frames" in result.stdout


def test_an_invalid_read_in_a_swiftssl_frame_fails(tmp_path):
    result = run_filter(tmp_path, log("==4242== Thread 3:\n" + record(
        "Invalid read of size 8",
        "   at 0x4BF3A10: X509_get_subject_name (in /usr/lib/x86_64-linux-gnu/libcrypto.so.3)",
        "   by 0x12B0A1: $s8SwiftSSL11CertificateC4infoAA0B4InfoVvg (Sources/SwiftSSL/CertificateDecoder.swift:41)",
        *XCTEST_CALLERS,
        " Address 0x5e3c0a8 is 8 bytes inside a block of size 384 free'd",
        "   at 0x484426F: free (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)",
        "   by 0x4BF2300: X509_free (in /usr/lib/x86_64-linux-gnu/libcrypto.so.3)")))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "memory error in project code" in result.stdout
    assert "1 contexts that are not leaks, 1 with project frames" in result.stdout
    assert "Sources/SwiftSSL/CertificateDecoder.swift:41" in result.stdout


def test_a_possibly_lost_block_needs_a_project_frame_to_fail(tmp_path):
    project = record("64 bytes in 1 blocks are possibly lost in loss record 5 of 10", MALLOC,
                     "   by 0x4FA1B2C: swift_slowAlloc (in /opt/swift/usr/lib/swift/linux/libswiftCore.so)",
                     "   by 0x4FA1C00: swift_allocObject (in /opt/swift/usr/lib/swift/linux/libswiftCore.so)",
                     PARSE_PEM, *XCTEST_CALLERS)
    assert run_filter(tmp_path, log(project)).returncode == 1
    test_code_only = record("64 bytes in 1 blocks are possibly lost in loss record 5 of 10", MALLOC,
                            TEST_FRAME, *XCTEST_CALLERS)
    assert run_filter(tmp_path, log(test_code_only)).returncode == 0


def test_swift_runtime_metadata_caches_reached_from_swiftssl_do_not_fail(tmp_path):
    result = run_filter(tmp_path, log(record(
        "32 bytes in 1 blocks are possibly lost in loss record 270 of 979",
        "   at 0x48465EF: calloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)",
        "   by 0x5257DE0: swift_getWitnessTable (in /opt/swift/usr/lib/swift/linux/libswiftCore.so)",
        "   by 0x50C810A: $ss14_ArrayProtocolPsE6filterySay7ElementQzGSbAEKXEKF"
        " (in /opt/swift/usr/lib/swift/linux/libswiftCore.so)",
        "   by 0x155CB4: $s8SwiftSSL8PunycodeO6encodeySSSgSays6UInt32VGFZ (Sources/SwiftSSL/Punycode.swift:103)",
        *XCTEST_CALLERS)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "32 bytes in 1 records with project frames, allocated by the Swift runtime" in result.stdout


@pytest.mark.parametrize("frame", [
    # no symbol (stripped), only the file under Sources/
    "   by 0x129C39: ??? (Sources/SwiftSSL/Certificate.swift:60)",
    # demangled
    "   by 0x129C39: SwiftSSL.Certificate.parseAllPEM(_:) (in /tmp/swiftsslPackageTests.xctest)",
    # an extension of a standard library type declared in SwiftSSL
    "   by 0x129C39: $sSa8SwiftSSLE5wipedyyF (in /tmp/swiftsslPackageTests.xctest)",
])
def test_project_frames_are_recognised_in_every_form(tmp_path, frame):
    text = log(record("16 bytes in 1 blocks are definitely lost in loss record 1 of 1", MALLOC, frame, *XCTEST_CALLERS))
    assert run_filter(tmp_path, text).returncode == 1


def test_a_log_without_an_error_summary_is_an_error(tmp_path):
    result = run_filter(tmp_path, log(complete=False))
    assert result.returncode == 2
    assert "no ERROR SUMMARY" in result.stderr

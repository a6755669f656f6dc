"""What `pip install .` delivers: a self-contained stable-ABI extension.

These checks only mean something for an installed copy (a wheel unpacked into site-packages), so
they skip when ``swiftssl`` is imported from the source tree (``PYTHONPATH=python``, editable
installs). scripts/test sets ``SWIFTSSL_REQUIRE_INSTALLED=1``, which turns that skip into a
failure: there the suite must run against the installed package.
"""

import glob
import importlib.metadata
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import swiftssl

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
PACKAGE_DIRECTORY = pathlib.Path(swiftssl.__file__).resolve().parent
EXTENSION = pathlib.Path(swiftssl._swiftssl.__file__).resolve()

# What the extension may link: OpenSSL and the C/C++ runtimes. No libswift* (the Swift standard
# library is linked statically), no libpython (symbols come from the interpreter), no Foundation.
ALLOWED_LIBRARIES = ("linux-vdso.so", "libssl.so", "libcrypto.so", "libstdc++.so", "libm.so",
                     "libgcc_s.so", "libc.so", "ld-linux")
# A statically linked Foundation (with ICU data) would take the library well past this.
MAXIMUM_EXTENSION_BYTES = 16 * 1024 * 1024


def _is_installed_copy():
    in_site_packages = any(part in ("site-packages", "dist-packages") for part in PACKAGE_DIRECTORY.parts)
    return in_site_packages and PACKAGE_DIRECTORY != REPOSITORY / "python" / "swiftssl"


@pytest.fixture(autouse=True)
def _installed_copy_only():
    if _is_installed_copy():
        return
    reason = (f"swiftssl under test is not an installed copy ({PACKAGE_DIRECTORY}); "
              "packaging checks need `pip install .` and a run outside the source tree")
    if os.environ.get("SWIFTSSL_REQUIRE_INSTALLED") == "1":
        pytest.fail(reason + " (and SWIFTSSL_REQUIRE_INSTALLED=1)", pytrace=False)
    pytest.skip(reason)


def _without_swift_toolchain_environment():
    """This environment with no LD_LIBRARY_PATH/PYTHONPATH and no Swift toolchain on PATH."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("LD_LIBRARY_PATH", "PYTHONPATH", "PYTHONHOME")}
    environment["PATH"] = os.pathsep.join(
        directory for directory in environment.get("PATH", "").split(os.pathsep)
        if directory and not os.path.exists(os.path.join(directory, "swift")))
    return environment


def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not found (Debian: apt-get install binutils libc-bin)")
    return path


def test_extension_is_a_single_stable_abi_file():
    assert EXTENSION.parent == PACKAGE_DIRECTORY
    assert EXTENSION.name == "_swiftssl.abi3.so"
    assert EXTENSION.stat().st_size < MAXIMUM_EXTENSION_BYTES


def test_wheel_is_tagged_for_the_stable_abi_of_3_11():
    wheel_metadata = importlib.metadata.distribution("swiftssl").read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel_metadata.splitlines() if line.startswith("Tag:")]
    assert tags and all(tag.startswith("cp311-abi3-") for tag in tags), tags


def test_imports_outside_the_repository_without_swift_or_library_path(tmp_path):
    script = ("import swiftssl; "
              "context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT); "
              "print(swiftssl._swiftssl.__file__); print(swiftssl.OPENSSL_VERSION)")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, env=_without_swift_toolchain_environment(), timeout=60)
    assert result.returncode == 0, result.stderr
    assert pathlib.Path(result.stdout.splitlines()[0]).resolve() == EXTENSION
    assert result.stdout.splitlines()[1].startswith("OpenSSL 3.")


def test_links_only_openssl_and_the_c_runtime():
    result = subprocess.run([_tool("ldd"), str(EXTENSION)], capture_output=True, text=True,
                            env=_without_swift_toolchain_environment(), timeout=60)
    assert result.returncode == 0, result.stderr
    libraries = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert not [line for line in result.stdout.splitlines() if "not found" in line], result.stdout
    unexpected = [library for library in libraries
                  if not os.path.basename(library).startswith(ALLOWED_LIBRARIES)]
    assert unexpected == [], result.stdout
    assert any(os.path.basename(library).startswith("libssl.so") for library in libraries)


def test_exports_only_the_module_initialiser():
    result = subprocess.run([_tool("nm"), "-D", "--defined-only", str(EXTENSION)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # Upper-case types are global (resolvable by other objects). The linker keeps a few Swift
    # symbols that the version script made local in .dynsym with a lower-case type; those cannot
    # be bound to from outside, so they are not exports.
    exported = sorted(line.split()[-1] for line in result.stdout.splitlines()
                      if len(line.split()) == 3 and line.split()[1].isupper())
    assert exported == ["PyInit__swiftssl"]


def _interpreter(version):
    """A CPython ``version`` ("3.12") on this machine (pyenv's versions or PATH), or None."""
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", "python3")))
    candidates.append(shutil.which(f"python{version}"))
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, timeout=60)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_the_same_binary_loads_in_later_interpreters(version, tmp_path):
    interpreter = _interpreter(version)
    if interpreter is None:
        pytest.skip(f"no CPython {version} on this machine")
    # A copy of the installed package alone, so nothing else from this venv is on the path.
    shutil.copytree(PACKAGE_DIRECTORY, tmp_path / "swiftssl", ignore=shutil.ignore_patterns("__pycache__"))
    script = ("import sys, swiftssl; "
              "context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT); "
              "swiftssl.match_hostname({'subjectAltName': (('DNS', 'example.com'),)}, 'example.com'); "
              "print(sys.version_info[:2], swiftssl.__file__)")
    environment = _without_swift_toolchain_environment()
    environment["PYTHONPATH"] = str(tmp_path)
    result = subprocess.run([interpreter, "-s", "-c", script], cwd=tmp_path,
                            capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    assert str(tmp_path) in result.stdout

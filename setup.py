"""Builds the swiftssl extension by running SwiftPM, then packages it with setuptools.

The Swift product ``_swiftssl`` is built in release mode with the Swift standard library linked
statically and symbols stripped, against the building interpreter's own headers under the stable
ABI of CPython 3.11, so one ``_swiftssl.abi3.so`` loads in 3.11, 3.12 and 3.13 without
``LD_LIBRARY_PATH`` and without the Swift toolchain.
"""

import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class SwiftBuildExt(build_ext):
    """Replaces the C compiler step with ``swift build`` and copies the shared library."""

    def build_extension(self, extension):
        scratch = os.path.join(ROOT, f".build-py{sys.version_info[0]}{sys.version_info[1]}")
        environment = dict(os.environ)
        # SwiftPM reads Python's headers through pkg-config: point it at this interpreter's
        # own python3.pc, or it silently picks the system's.
        library_pc = sysconfig.get_config_var("LIBPC")
        if library_pc:
            environment["PKG_CONFIG_PATH"] = os.pathsep.join(
                filter(None, [library_pc, environment.get("PKG_CONFIG_PATH")]))
        exports = os.path.join(ROOT, "Sources", "_swiftssl_c", "exports.map")
        command = [
            "swift", "build", "-c", "release", "--product", "_swiftssl",
            "--scratch-path", scratch,
            "-Xswiftc", "-static-stdlib",
            "-Xlinker", "-s",
            "-Xlinker", f"--version-script={exports}",
        ]
        self.announce(" ".join(command), level=2)
        subprocess.run(command, cwd=ROOT, env=environment, check=True)
        built = os.path.join(scratch, "release", "lib_swiftssl.so")
        target = self.get_ext_fullpath(extension.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)

    def get_ext_filename(self, fullname):
        # One stable-ABI binary for every supported interpreter.
        return os.path.join(*fullname.split(".")) + ".abi3.so"


setup(
    ext_modules=[Extension("swiftssl._swiftssl", sources=[], py_limited_api=True)],
    cmdclass={"build_ext": SwiftBuildExt},
    options={"bdist_wheel": {"py_limited_api": "cp311"}},
)

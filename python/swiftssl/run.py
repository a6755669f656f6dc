"""``python -m swiftssl.run SCRIPT [ARGS...]``: run an unmodified program with swiftssl as ``ssl``.

Installs swiftssl (see :func:`swiftssl.install`) before the program imports anything, then runs
it as ``__main__`` with ``sys.argv`` set as if it had been started directly. This is the way to
give code written for ``ssl.wrap_socket`` and ``ssl.match_hostname`` (removed from CPython 3.12)
those functions back without editing it. ``-m MODULE`` runs a module instead of a file.
"""

import runpy
import sys

import swiftssl


def main(argv=None):
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if arguments else 2
    swiftssl.install()
    if arguments[0] == "-m":
        if len(arguments) < 2:
            print("swiftssl.run: -m needs a module name", file=sys.stderr)
            return 2
        sys.argv = arguments[1:]
        runpy.run_module(arguments[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = arguments
        runpy.run_path(arguments[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())

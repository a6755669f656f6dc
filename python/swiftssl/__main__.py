"""``python -m swiftssl``: the command line (see ``python -m swiftssl --help``)."""

import sys

from swiftssl._cli import main

if __name__ == "__main__":
    sys.exit(main())

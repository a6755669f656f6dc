"""Side-by-side benchmarks of swiftssl and the stdlib ``ssl`` module.

Run ``bash scripts/bench`` (it builds a release extension first), or from ``python/``
``python3 -m benchmarks`` (about 5 minutes; ``--quick`` about 2) on the extension in place. Each
row runs swiftssl and ``ssl`` alternately (A B A B ...) in the same run, with client and server in
separate processes over loopback TCP, and prints the medians and the ratio swiftssl/ssl.
Callgrind instruction counts per handshake, per write and per echo follow the table: they do not
depend on how busy the machine is.
"""

@preconcurrency import CPython

/// Runs `body` with the GIL released, as every blocking OpenSSL call must be. `body` receives an
/// interrupt handler for the core: it re-takes the GIL, runs Python's signal handlers, and
/// throws `.alreadySet` when one raised (Ctrl-C during a blocking read).
func withoutGIL<Result>(_ body: (_ onInterrupt: () throws -> Void) throws -> Result) throws -> Result {
    var state = PyEval_SaveThread()
    defer { PyEval_RestoreThread(state) }
    return try body {
        PyEval_RestoreThread(state)
        let failed = PyErr_CheckSignals() != 0
        state = PyEval_SaveThread()
        if failed { throw PythonError.alreadySet }
    }
}

/// Runs `body` holding the GIL, from a thread that released it (OpenSSL callbacks).
func withGIL<Result>(_ body: () -> Result) -> Result {
    let state = PyGILState_Ensure()
    defer { PyGILState_Release(state) }
    return body()
}

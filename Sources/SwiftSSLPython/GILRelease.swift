@preconcurrency import CPython
import _swiftssl_c

/// Runs `body` with the GIL released, as every blocking OpenSSL call must be. `body` receives an
/// interrupt handler for the core: it re-takes the GIL, runs Python's signal handlers, and
/// throws `.alreadySet` when one raised (Ctrl-C during a blocking read).
///
/// While the GIL is released, the thread state it was released with is recorded for this thread,
/// so that `withGIL` (an OpenSSL callback during `body`) takes it back with that same thread
/// state: in the interpreter that made the call, subinterpreters included.
func withoutGIL<Result>(_ body: (_ onInterrupt: () throws -> Void) throws -> Result) throws -> Result {
    let enclosing = swiftssl_released_thread_state()
    let state = PyEval_SaveThread()
    swiftssl_set_released_thread_state(state)
    defer {
        swiftssl_set_released_thread_state(enclosing)
        PyEval_RestoreThread(state)
    }
    return try body {
        let failed = holdingGIL(state) { PyErr_CheckSignals() != 0 }
        if failed { throw PythonError.alreadySet }
    }
}

/// Runs `body` holding the GIL, from code that may run with it released (OpenSSL callbacks) or
/// held (deinitializers, reached from a Python object's deallocation).
///
/// Inside `withoutGIL` the GIL is taken back with the thread state recorded there. Otherwise this
/// thread holds it already: every swiftssl entry point is called by Python with the GIL held, and
/// neither the core nor this module starts threads of its own. (`PyGILState_Ensure`, which this
/// used to call, picks one thread state per thread: on CPython 3.11 that is the main
/// interpreter's even while a subinterpreter's holds the GIL, and it deadlocked there.) It stays
/// as the safety net for a thread Python has never seen, which cannot hold the GIL.
func withGIL<Result>(_ body: () -> Result) -> Result {
    if let released = swiftssl_released_thread_state() {
        return holdingGIL(released, body)
    }
    guard PyGILState_GetThisThreadState() == nil else {
        return body()
    }
    let gilState = PyGILState_Ensure()
    defer { PyGILState_Release(gilState) }
    return body()
}

/// Runs `body` with the GIL re-taken by `state`, a thread state released by `withoutGIL` on this
/// thread, and releases it again after. While `body` runs, this thread records no released state,
/// so a `withGIL` inside it (a deallocation in a Python callback) sees the GIL held.
private func holdingGIL<Result>(_ state: OpaquePointer?, _ body: () throws -> Result) rethrows -> Result {
    swiftssl_set_released_thread_state(nil)
    PyEval_RestoreThread(state)
    defer {
        // The same thread state as `state`: PyEval_SaveThread returns the one it releases.
        swiftssl_set_released_thread_state(PyEval_SaveThread())
    }
    return try body()
}

@preconcurrency import CPython

/// What the Python package hands the native module at import (its exception classes, its
/// `Certificate` factory), kept per interpreter: in the interpreter's own state dictionary
/// (`PyInterpreterState_GetDict`), never in a Swift global.
///
/// The extension is loaded once per process, but every subinterpreter that imports swiftssl runs
/// the package again and registers its own classes (mod_wsgi runs each application in one). A
/// process-wide slot would make the last interpreter's classes the ones every interpreter raises,
/// so the others' `except ssl.SSLError` stops catching; here each interpreter finds its own, and
/// they are released with that interpreter's dictionary when it ends.
enum InterpreterRegistry {
    /// The registered objects, each under its own key in the interpreter's dictionary.
    enum Entry: String {
        /// A tuple of the seven exception classes, in `_register_exceptions`' order.
        case exceptionClasses = "swiftssl._swiftssl.exception_classes"
        /// The callable that makes a `Certificate` from DER bytes.
        case certificateFactory = "swiftssl._swiftssl.certificate_factory"
    }

    /// Registers `object` for the current interpreter, replacing what it registered before
    /// (GIL held).
    static func register(_ object: PyObjectPointer, as entry: Entry) throws {
        guard let dictionary = PyInterpreterState_GetDict(PyInterpreterState_Get()) else {
            if PyErr_Occurred() == nil {
                PyErr_SetString(PyExc_RuntimeError, "swiftssl: this interpreter has no state dictionary")
            }
            throw PythonError.alreadySet
        }
        try checkedStatus(PyDict_SetItemString(dictionary, entry.rawValue, object))
    }

    /// What the current interpreter registered as `entry`, as a new reference, or nil (no
    /// exception set) when it registered nothing (GIL held).
    static func registered(_ entry: Entry) -> PyObjectPointer? {
        guard let dictionary = PyInterpreterState_GetDict(PyInterpreterState_Get()),
              let object = PyDict_GetItemString(dictionary, entry.rawValue) else {
            return nil
        }
        // A new reference: code the caller runs could replace the entry and free a borrowed one.
        CSwiftSSLPy_IncRef(object)
        return object
    }
}

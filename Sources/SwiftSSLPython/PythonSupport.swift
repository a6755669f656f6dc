@preconcurrency import CPython
import SwiftSSL

/// A CPython object pointer as Swift sees it.
typealias PyObjectPointer = UnsafeMutablePointer<PyObject>
/// The argument vector of a METH_FASTCALL method.
typealias FastArguments = UnsafePointer<PyObjectPointer?>?

/// Errors raised while talking to the interpreter, mapped to Python exceptions by ``raise(_:)``.
enum PythonError: Error {
    /// A Python exception is already set (a callback raised): return NULL and keep it.
    case alreadySet
    /// `TypeError(message)`.
    case typeError(String)
    /// `ValueError(message)`.
    case valueError(String)
    /// `OverflowError(message)`.
    case overflowError(String)
}

/// Runs a method body, turning thrown errors into a set Python exception and a NULL return.
@inline(__always)
func pythonEntry(_ body: () throws -> PyObjectPointer?) -> PyObjectPointer? {
    do {
        return try body()
    } catch {
        raise(error)
        return nil
    }
}

/// Fails with `.alreadySet` when the last C-API call returned NULL.
@inline(__always)
func checked(_ object: PyObjectPointer?) throws -> PyObjectPointer {
    guard let object else { throw PythonError.alreadySet }
    return object
}

/// Fails with `.alreadySet` when a C-API call that signals errors with -1 failed.
@inline(__always)
func checkedStatus(_ status: Int32) throws {
    if status < 0 { throw PythonError.alreadySet }
}

/// A new reference to None.
func newNone() -> PyObjectPointer { CSwiftSSLPy_NewNone() }

/// A new bool.
func newBool(_ value: Bool) -> PyObjectPointer? { CSwiftSSLPy_NewBool(value ? 1 : 0) }

/// A new int.
func newInt(_ value: Int) -> PyObjectPointer? { PyLong_FromSsize_t(value) }

/// A new str from UTF-8 (invalid sequences are replaced, never trapped on).
func newString(_ value: String) -> PyObjectPointer? {
    var copy = value
    return copy.withUTF8 { buffer in
        // CPython returns the empty str for size 0 without reading the pointer.
        buffer.withMemoryRebound(to: CChar.self) { characters in
            PyUnicode_DecodeUTF8(characters.baseAddress, characters.count, "surrogateescape")
        }
    }
}

/// A new bytes object.
func newBytes(_ value: UnsafeRawBufferPointer) -> PyObjectPointer? {
    PyBytes_FromStringAndSize(value.baseAddress?.assumingMemoryBound(to: CChar.self), value.count)
}

/// A new bytes object that `fill` writes in place (no intermediate buffer): `fill` gets its
/// `capacity` bytes of storage and returns how many it wrote. A shorter result is shrunk with one
/// copy (the stable ABI has no `_PyBytes_Resize`); if `fill` throws, the object is released.
func newBytes(capacity: Int, filledBy fill: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> PyObjectPointer {
    let object = try checked(PyBytes_FromStringAndSize(nil, capacity))
    guard let storage = PyBytes_AsString(object) else {
        CSwiftSSLPy_DecRef(object)
        throw PythonError.alreadySet
    }
    let written: Int
    do {
        written = try fill(UnsafeMutableRawBufferPointer(start: storage, count: capacity))
    } catch {
        CSwiftSSLPy_DecRef(object)
        throw error
    }
    if written == capacity { return object }
    defer { CSwiftSSLPy_DecRef(object) }
    return try checked(PyBytes_FromStringAndSize(storage, written))
}

/// A new tuple holding `items` (each a new reference, consumed here even on failure).
func newTuple(_ items: [PyObjectPointer?]) throws -> PyObjectPointer {
    guard let tuple = PyTuple_New(items.count) else {
        items.forEach { $0.map(CSwiftSSLPy_DecRef) }
        throw PythonError.alreadySet
    }
    var failed = false
    for (index, item) in items.enumerated() {
        if let item {
            PyTuple_SetItem(tuple, index, item)  // steals
        } else {
            failed = true
        }
    }
    if failed {
        CSwiftSSLPy_DecRef(tuple)
        throw PythonError.alreadySet
    }
    return tuple
}

/// A new list of `convert(element)` for each element; `convert` returns a new reference, which
/// the list takes. On any failure nothing leaks and the error propagates.
func newList<Elements: Sequence>(
    _ elements: Elements, _ convert: (Elements.Element) throws -> PyObjectPointer
) throws -> PyObjectPointer {
    let list = try checked(PyList_New(0))
    do {
        for element in elements {
            let item = try convert(element)
            defer { CSwiftSSLPy_DecRef(item) }
            try checkedStatus(PyList_Append(list, item))
        }
    } catch {
        CSwiftSSLPy_DecRef(list)
        throw error
    }
    return list
}

/// A new dict of `items`, in order; each value is a new reference the dict takes (all of them are
/// released on failure, so nothing leaks).
func newDict(_ items: [(String, PyObjectPointer?)]) throws -> PyObjectPointer {
    guard let dict = PyDict_New() else {
        items.forEach { $0.1.map(CSwiftSSLPy_DecRef) }
        throw PythonError.alreadySet
    }
    var failure: Error?
    for (key, value) in items {
        if failure != nil {
            value.map(CSwiftSSLPy_DecRef)
            continue
        }
        do { try setItem(dict, key, value) } catch { failure = error }
    }
    if let failure {
        CSwiftSSLPy_DecRef(dict)
        throw failure
    }
    return dict
}

/// Sets `dict[key] = value`, consuming the new reference `value`.
func setItem(_ dict: PyObjectPointer, _ key: String, _ value: PyObjectPointer?) throws {
    guard let value else { throw PythonError.alreadySet }
    defer { CSwiftSSLPy_DecRef(value) }
    try checkedStatus(PyDict_SetItemString(dict, key, value))
}

/// Reads the positional arguments of a METH_FASTCALL method.
struct Arguments {
    let vector: FastArguments
    let count: Int
    let function: String
    /// How many arguments the method takes at most: messages name a method's only argument
    /// "argument" and the others "argument N", as CPython's argument clinic does.
    let maximumCount: Int

    init(_ vector: FastArguments, _ count: Py_ssize_t, function: String, expected: ClosedRange<Int>) throws {
        self.vector = vector
        self.count = count
        self.function = function
        self.maximumCount = expected.upperBound
        if !expected.contains(count) {
            let wanted = expected.lowerBound == expected.upperBound
                ? "\(expected.lowerBound)" : "\(expected.lowerBound) to \(expected.upperBound)"
            throw PythonError.typeError("\(function)() takes \(wanted) positional arguments but \(count) were given")
        }
    }

    /// The argument at `index` (borrowed), or nil when absent.
    subscript(index: Int) -> PyObjectPointer? {
        guard index < count, let vector else { return nil }
        return vector[index]
    }

    /// The argument at `index`, or nil for an absent argument or None.
    func optional(_ index: Int) -> PyObjectPointer? {
        guard let object = self[index], CSwiftSSLPy_IsNone(object) == 0 else { return nil }
        return object
    }

    func object(_ index: Int) throws -> PyObjectPointer {
        guard let object = self[index] else {
            throw PythonError.typeError("\(function)() missing argument \(index + 1)")
        }
        return object
    }

    func int(_ index: Int) throws -> Int {
        let value = PyLong_AsSsize_t(try object(index))
        if value == -1, PyErr_Occurred() != nil { throw PythonError.alreadySet }
        return value
    }

    /// The argument at `index` as CPython parses a `Py_ssize_t` ("n"): anything with
    /// `__index__`, OverflowError beyond the C type.
    func ssize(_ index: Int) throws -> Int {
        let number = try checked(PyNumber_Index(try object(index)))
        defer { CSwiftSSLPy_DecRef(number) }
        let value = PyLong_AsSsize_t(number)
        if value == -1, PyErr_Occurred() != nil { throw PythonError.alreadySet }
        return value
    }

    /// The argument at `index` as CPython's argument clinic parses a C `int` (see ``clinicInt(_:)``).
    func cInt(_ index: Int) throws -> Int32 {
        try clinicInt(try object(index))
    }

    func bool(_ index: Int) throws -> Bool {
        let value = PyObject_IsTrue(try object(index))
        try checkedStatus(value)
        return value == 1
    }

    /// A socket timeout: None for blocking, else seconds.
    func timeout(_ index: Int) throws -> IOTimeout {
        .seconds(try seconds(index))
    }

    /// A socket timeout in seconds, nil for None (blocking); for operations that start a new
    /// deadline from it more than once.
    func seconds(_ index: Int) throws -> Double? {
        guard let object = optional(index) else { return nil }
        let seconds = PyFloat_AsDouble(object)
        if seconds == -1, PyErr_Occurred() != nil { throw PythonError.alreadySet }
        return seconds
    }

    func string(_ index: Int) throws -> String {
        try pythonString(try object(index), what: argumentName(index))
    }

    func optionalString(_ index: Int) throws -> String? {
        guard let object = optional(index) else { return nil }
        return try pythonString(object, what: argumentName(index))
    }

    /// `set_ciphers() argument`, `load_cert_chain() argument 2`: CPython's way of naming one.
    private func argumentName(_ index: Int) -> String {
        maximumCount == 1 ? "\(function)() argument" : "\(function)() argument \(index + 1)"
    }
}

/// `object` as CPython's argument clinic parses a C `int`: anything with `__index__` (TypeError
/// otherwise), OverflowError outside the int's range, with CPython's messages.
func clinicInt(_ object: PyObjectPointer) throws -> Int32 {
    let number = try checked(PyNumber_Index(object))
    defer { CSwiftSSLPy_DecRef(number) }
    let value = PyLong_AsSsize_t(number)
    if value == -1, PyErr_Occurred() != nil {
        guard PyErr_ExceptionMatches(PyExc_OverflowError) != 0 else { throw PythonError.alreadySet }
        PyErr_Clear()
    } else if let result = Int32(exactly: value) {
        return result
    }
    throw PythonError.overflowError("Python int too large to convert to C int")
}

/// The text of a str; TypeError for anything else.
func pythonString(_ object: PyObjectPointer, what: String) throws -> String {
    guard CSwiftSSLPy_IsUnicode(object) != 0 else {
        let type = CSwiftSSLPy_IsNone(object) != 0 ? "None" : typeName(object)
        throw PythonError.typeError("\(what) must be str, not \(type)")
    }
    var size: Py_ssize_t = 0
    guard let pointer = PyUnicode_AsUTF8AndSize(object, &size) else { throw PythonError.alreadySet }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: size), as: UTF8.self)
}

/// The text of a str that must be ASCII, as `bytes(text, "ascii")` takes it: the str's own
/// UnicodeEncodeError otherwise.
func asciiString(_ object: PyObjectPointer) throws -> String {
    let ascii = try checked(PyUnicode_AsASCIIString(object))
    defer { CSwiftSSLPy_DecRef(ascii) }
    return try withBuffer(ascii) { String(decoding: UnsafeRawBufferPointer($0), as: UTF8.self) }
}

/// The name of an object's type, for messages.
func typeName(_ object: PyObjectPointer) -> String {
    guard let type = PyObject_Type(object) else { PyErr_Clear(); return "object" }
    defer { CSwiftSSLPy_DecRef(type) }
    guard let name = PyObject_GetAttrString(type, "__name__") else { PyErr_Clear(); return "object" }
    defer { CSwiftSSLPy_DecRef(name) }
    return (try? pythonString(name, what: "type name")) ?? "object"
}

/// Runs `body` with the contents of a bytes-like object (buffer protocol).
func withBuffer<Result>(_ object: PyObjectPointer, writable: Bool = false,
                        _ body: (UnsafeMutableRawBufferPointer) throws -> Result) throws -> Result {
    var view = Py_buffer()
    let flags = writable ? PyBUF_WRITABLE : PyBUF_SIMPLE
    try checkedStatus(PyObject_GetBuffer(object, &view, flags))
    defer { PyBuffer_Release(&view) }
    return try body(UnsafeMutableRawBufferPointer(start: view.buf, count: view.len))
}

/// ``withBuffer(_:writable:_:)`` for a writable buffer argument, refused as CPython's argument
/// clinic refuses one ("read() argument 2 must be read-write bytes-like object, not int"),
/// whatever made it unusable (read-only, not contiguous, not a buffer at all).
func withWritableArgument<Result>(_ object: PyObjectPointer, function: String, position: Int,
                                  _ body: (UnsafeMutableRawBufferPointer) throws -> Result) throws -> Result {
    var view = Py_buffer()
    guard PyObject_GetBuffer(object, &view, PyBUF_WRITABLE) == 0 else {
        PyErr_Clear()
        throw PythonError.typeError(
            "\(function)() argument \(position) must be read-write bytes-like object, not \(typeName(object))")
    }
    defer { PyBuffer_Release(&view) }
    return try body(UnsafeMutableRawBufferPointer(start: view.buf, count: view.len))
}

/// True when `object` supports the buffer protocol.
func isBytesLike(_ object: PyObjectPointer) -> Bool {
    PyObject_CheckBuffer(object) != 0
}

/// `object.name()`, as a new reference.
func callMethod(_ object: PyObjectPointer, _ name: String) throws -> PyObjectPointer {
    let method = try checked(PyObject_GetAttrString(object, name))
    defer { CSwiftSSLPy_DecRef(method) }
    return try checked(PyObject_CallNoArgs(method))
}

@preconcurrency import CPython
import _swiftssl_c
import SwiftSSL

/// `(nid, shortname, longname, oid)` for `_ASN1Object`.
private func objectTuple(_ info: ObjectIdentifierInfo) throws -> PyObjectPointer? {
    try newTuple([newInt(info.nid), info.shortName.map(newString) ?? newNone(),
                  info.longName.map(newString) ?? newNone(), newString(info.dottedString)])
}

/// `_txt2obj(text, name)`: looks up a dotted OID, or also a name when `name` is true.
@_cdecl("swiftssl_txt2obj")
func moduleTxt2Obj(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let arguments = try Arguments(vector, count, function: "_txt2obj", expected: 2...2)
        return try objectTuple(try ObjectIdentifierInfo.lookup(try arguments.string(0), allowingNames: try arguments.bool(1)))
    }
}

/// `_nid2obj(nid)`.
@_cdecl("swiftssl_nid2obj")
func moduleNid2Obj(_ module: PyObjectPointer?, _ vector: FastArguments, _ count: Py_ssize_t) -> PyObjectPointer? {
    pythonEntry {
        let arguments = try Arguments(vector, count, function: "_nid2obj", expected: 1...1)
        return try objectTuple(try ObjectIdentifierInfo.lookup(nid: try arguments.int(0)))
    }
}

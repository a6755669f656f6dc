import COpenSSL

/// The names CPython's `ssl` gives OpenSSL's errors: `SSLError.library` (`"PEM"`) and
/// `SSLError.reason` (`"NO_START_LINE"`), and the `[PEM: NO_START_LINE]` of its messages.
///
/// CPython looks both up in tables generated from OpenSSL 3.0's headers (the same tables in 3.11,
/// 3.12 and 3.13). OpenSSL 3 has no reason mnemonics at run time, but its reason texts are the
/// mnemonics in lower case with spaces (`"no start line"`), so the mapping is mechanical except
/// for the few reasons listed in ``reasonsNotNamedByTheirText``. OpenSSLErrorQueueTests compares
/// every library and reason with CPython 3.11's `_ssl.lib_codes_to_names` and
/// `_ssl.err_codes_to_names`.
enum CPythonErrorNames {
    /// CPython's mnemonic for an OpenSSL library number; nil for a number it has none for.
    static func library(_ library: Int32) -> String? {
        libraryMnemonics[library]
    }

    /// CPython's mnemonic for reason `reason` of `library`, whose reason text is `text`; nil
    /// where CPython's table has none (a library it does not name, a reason it lacks).
    static func reason(library: Int32, reason: Int32, text: String) -> String? {
        guard libraryMnemonics[library] != nil else { return nil }
        if let exception = reasonsNotNamedByTheirText[packed(library, reason)] {
            return exception
        }
        return String(text.uppercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
    }

    /// Library numbers and names, as in CPython's table (its `OFFSET` and `MASK` entries aside,
    /// which are no library's).
    private static let libraryMnemonics: [Int32: String] = [
        1: "NONE", 2: "SYS", 3: "BN", 4: "RSA", 5: "DH", 6: "EVP", 7: "BUF", 8: "OBJ", 9: "PEM",
        10: "DSA", 11: "X509", 13: "ASN1", 14: "CONF", 15: "CRYPTO", 16: "EC", 20: "SSL",
        32: "BIO", 33: "PKCS7", 34: "X509V3", 35: "PKCS12", 36: "RAND", 37: "DSO", 38: "ENGINE",
        39: "OCSP", 40: "UI", 41: "COMP", 42: "ECDSA", 43: "ECDH", 44: "OSSL_STORE", 45: "FIPS",
        46: "CMS", 47: "TS", 48: "HMAC", 50: "CT", 51: "ASYNC", 52: "KDF", 53: "SM2", 54: "ESS",
        55: "PROP", 56: "CRMF", 57: "PROV", 58: "CMP", 59: "OSSL_ENCODER", 60: "OSSL_DECODER",
        61: "HTTP", 128: "USER",
    ]

    /// The reasons whose mnemonic is not their text's (OpenSSL's macro is named otherwise), and
    /// those CPython's table lacks (nil: added to OpenSSL 3.0 after the table was generated).
    private static let reasonsNotNamedByTheirText: [UInt32: String?] = [
        packed(4, 135): "SLEN_RECOVERY_FAILED",  // RSA: "salt length recovery failed"
        packed(4, 136): "SLEN_CHECK_FAILED",  // RSA: "salt length check failed"
        packed(5, 102): "INVALID_PUBKEY",  // DH: "invalid public key"
        packed(5, 130): nil,  // DH: "q too large"
        packed(6, 142): "EXPECTING_A_EC_KEY",  // EVP: "expecting an ec key"
        packed(6, 162): "PARTIALLY_OVERLAPPING",  // EVP: "partially overlapping buffers"
        packed(6, 219): "EXPECTING_A_ECX_KEY",  // EVP: "expecting an ecx key"
        packed(10, 110): "SEED_LEN_SMALL",  // DSA: "seed_len is less than the length of q"
        packed(11, 140): nil,  // X509: "duplicate attribute"
        packed(14, 126): nil,  // CONF: "recursive section reference"
        packed(20, 158): "AT_LEAST_TLS_1_2_NEEDED_IN_SUITEB_MODE",  // SSL: "at least (D)TLS 1.2 …"
        packed(20, 330): "NO_GOST_CERTIFICATE_SENT_BY_PEER",  // SSL: "Peer haven't sent GOST ..."
        packed(20, 358): "MISSING_SRP_PARAM",  // SSL: "can't find SRP server param"
        packed(20, 361): "SRP_A_CALC",  // SSL: "error with the srp params"
        packed(20, 380): "ILLEGAL_SUITEB_DIGEST",  // SSL: "illegal Suite B digest"
        packed(20, 1115): nil,  // SSL: "tlsv1 alert unknown psk identity"
        packed(20, 1120): nil,  // SSL: "tlsv1 alert no application protocol"
        packed(36, 101): "FUNC_NOT_IMPLEMENTED",  // RAND: "Function not implemented"
        packed(36, 123): "FWRITE_ERROR",  // RAND: "Error writing file"
        packed(37, 100): "CTRL_FAILED",  // DSO: "control command failed"
        packed(37, 102): "FINISH_FAILED",  // DSO: "cleanup method function failed"
        packed(37, 103): "LOAD_FAILED",  // DSO: "could not load the shared library"
        packed(37, 104): "NULL_HANDLE",  // DSO: "a null shared library handle was used"
        packed(37, 105): "STACK_ERROR",  // DSO: "the meth_data stack is corrupt"
        packed(37, 106): "SYM_FAILURE",  // DSO: "could not bind to the requested symbol name"
        packed(37, 107): "UNLOAD_FAILED",  // DSO: "could not unload the shared library"
        packed(37, 108): "UNSUPPORTED",  // DSO: "functionality not supported"
        packed(38, 105): "ENGINE_IS_NOT_IN_LIST",  // ENGINE: "engine is not in the list"
        packed(38, 108): "ID_OR_NAME_MISSING",  // ENGINE: "'id' or 'name' missing"
        packed(40, 109): "SYSASSIGN_ERROR",  // UI: "sys$assign error"
        packed(40, 110): "SYSDASSGN_ERROR",  // UI: "sys$dassgn error"
        packed(40, 111): "SYSQIOW_ERROR",  // UI: "sys$qiow error"
        packed(46, 195): nil,  // CMS: "unsupported signature algorithm"
        packed(46, 196): nil,  // CMS: "error unsupported static key agreement"
        packed(47, 136): "VAR_LOOKUP_FAILURE",  // TS: "cannot find config variable"
        packed(47, 137): "CANNOT_LOAD_CERT",  // TS: "cannot load certificate"
        packed(47, 138): "CANNOT_LOAD_KEY",  // TS: "cannot load private key"
    ]

    private static func packed(_ library: Int32, _ reason: Int32) -> UInt32 {
        UInt32(truncatingIfNeeded: library) << 16 | UInt32(truncatingIfNeeded: reason) & 0xFFFF
    }
}

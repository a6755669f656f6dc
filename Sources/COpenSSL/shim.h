// The only C in the Swift core: static inline wrappers, each prefixed `CSwiftSSL_`, for OpenSSL
// macros and type-generic stacks that Swift cannot import. No logic lives here.
#ifndef CSWIFTSSL_SHIM_H
#define CSWIFTSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/objects.h>
#include <openssl/bn.h>

// SSL_OP_* are built with SSL_OP_BIT(), a macro Swift cannot evaluate.
static const uint64_t CSwiftSSL_OP_ALL = SSL_OP_ALL;
static const uint64_t CSwiftSSL_OP_DONT_INSERT_EMPTY_FRAGMENTS = SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS;
static const uint64_t CSwiftSSL_OP_NO_SSLv3 = SSL_OP_NO_SSLv3;
static const uint64_t CSwiftSSL_OP_NO_TLSv1 = SSL_OP_NO_TLSv1;
static const uint64_t CSwiftSSL_OP_NO_TLSv1_1 = SSL_OP_NO_TLSv1_1;
static const uint64_t CSwiftSSL_OP_NO_TLSv1_2 = SSL_OP_NO_TLSv1_2;
static const uint64_t CSwiftSSL_OP_NO_TLSv1_3 = SSL_OP_NO_TLSv1_3;
static const uint64_t CSwiftSSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t CSwiftSSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t CSwiftSSL_OP_NO_TICKET = SSL_OP_NO_TICKET;
static const uint64_t CSwiftSSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t CSwiftSSL_OP_ENABLE_MIDDLEBOX_COMPAT = SSL_OP_ENABLE_MIDDLEBOX_COMPAT;
static const uint64_t CSwiftSSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;
static const uint64_t CSwiftSSL_OP_ENABLE_KTLS = SSL_OP_ENABLE_KTLS;
static const uint64_t CSwiftSSL_OP_LEGACY_SERVER_CONNECT = SSL_OP_LEGACY_SERVER_CONNECT;

// OpenSSL's reasons for "PEM lib" and "ASN1 lib" (a library number with the common-reason flag:
// macro expressions).
static const int CSwiftSSL_R_PEM_LIB = ERR_R_PEM_LIB;
static const int CSwiftSSL_R_ASN1_LIB = ERR_R_ASN1_LIB;

// The lowest protocol version this libssl was built with (CPython's PY_PROTO_MINIMUM_AVAILABLE).
#ifdef OPENSSL_NO_SSL3
static const int CSwiftSSL_MINIMUM_AVAILABLE_VERSION = TLS1_VERSION;
#else
static const int CSwiftSSL_MINIMUM_AVAILABLE_VERSION = SSL3_VERSION;
#endif

static inline long CSwiftSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long CSwiftSSL_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long CSwiftSSL_SSL_CTX_get_min_proto_version(SSL_CTX *ctx) {
    return SSL_CTX_get_min_proto_version(ctx);
}
static inline long CSwiftSSL_SSL_CTX_get_max_proto_version(SSL_CTX *ctx) {
    return SSL_CTX_get_max_proto_version(ctx);
}
static inline long CSwiftSSL_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline long CSwiftSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long CSwiftSSL_SSL_CTX_add0_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return SSL_CTX_add0_chain_cert(ctx, cert);
}
static inline long CSwiftSSL_SSL_CTX_clear_chain_certs(SSL_CTX *ctx) {
    return SSL_CTX_clear_chain_certs(ctx);
}
static inline long CSwiftSSL_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline long CSwiftSSL_SSL_CTX_set_tlsext_servername_callback(
    SSL_CTX *ctx, int (*callback)(SSL *, int *, void *)) {
    return SSL_CTX_set_tlsext_servername_callback(ctx, callback);
}
static inline long CSwiftSSL_SSL_CTX_set_tlsext_servername_arg(SSL_CTX *ctx, void *arg) {
    return SSL_CTX_set_tlsext_servername_arg(ctx, arg);
}
static inline long CSwiftSSL_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}
static inline void CSwiftSSL_OPENSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}

// Typed stacks: OpenSSL declares these through macros Swift cannot see.
static inline int CSwiftSSL_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
static inline X509 *CSwiftSSL_sk_X509_value(const STACK_OF(X509) *stack, int index) {
    return sk_X509_value(stack, index);
}
static inline void CSwiftSSL_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
static inline int CSwiftSSL_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline GENERAL_NAME *CSwiftSSL_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}
static inline void CSwiftSSL_GENERAL_NAMES_free_all(GENERAL_NAMES *names) {
    sk_GENERAL_NAME_pop_free(names, GENERAL_NAME_free);
}
static inline int CSwiftSSL_sk_ACCESS_DESCRIPTION_num(const AUTHORITY_INFO_ACCESS *info) {
    return sk_ACCESS_DESCRIPTION_num(info);
}
static inline ACCESS_DESCRIPTION *CSwiftSSL_sk_ACCESS_DESCRIPTION_value(const AUTHORITY_INFO_ACCESS *info, int index) {
    return sk_ACCESS_DESCRIPTION_value(info, index);
}
static inline int CSwiftSSL_sk_DIST_POINT_num(const CRL_DIST_POINTS *points) { return sk_DIST_POINT_num(points); }
static inline DIST_POINT *CSwiftSSL_sk_DIST_POINT_value(const CRL_DIST_POINTS *points, int index) {
    return sk_DIST_POINT_value(points, index);
}
static inline int CSwiftSSL_sk_X509_OBJECT_num(const STACK_OF(X509_OBJECT) *stack) {
    return sk_X509_OBJECT_num(stack);
}
static inline X509_OBJECT *CSwiftSSL_sk_X509_OBJECT_value(const STACK_OF(X509_OBJECT) *stack, int index) {
    return sk_X509_OBJECT_value(stack, index);
}
static inline int CSwiftSSL_sk_SSL_CIPHER_num(const STACK_OF(SSL_CIPHER) *stack) {
    return sk_SSL_CIPHER_num(stack);
}
static inline const SSL_CIPHER *CSwiftSSL_sk_SSL_CIPHER_value(const STACK_OF(SSL_CIPHER) *stack, int index) {
    return sk_SSL_CIPHER_value(stack, index);
}
static inline STACK_OF(X509_INFO) *CSwiftSSL_PEM_X509_INFO_read_bio(BIO *bio, pem_password_cb *cb, void *u) {
    return PEM_X509_INFO_read_bio(bio, NULL, cb, u);
}
static inline int CSwiftSSL_sk_X509_INFO_num(const STACK_OF(X509_INFO) *stack) { return sk_X509_INFO_num(stack); }
static inline X509_INFO *CSwiftSSL_sk_X509_INFO_value(const STACK_OF(X509_INFO) *stack, int index) {
    return sk_X509_INFO_value(stack, index);
}
static inline void CSwiftSSL_sk_X509_INFO_pop_free(STACK_OF(X509_INFO) *stack) {
    sk_X509_INFO_pop_free(stack, X509_INFO_free);
}
#endif

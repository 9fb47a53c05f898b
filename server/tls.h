/*
 * The TLS context: TLS 1.2 and 1.3 only, Mozilla's intermediate profile
 * (without the X25519MLKEM768 group, which OpenSSL 3.0 rejects).
 */
#ifndef PINGSHEN_TLS_H
#define PINGSHEN_TLS_H

#include <openssl/ssl.h>

/*
 * Loads the certificate chain and key (PEM files) into a new server
 * context; the caller frees it with SSL_CTX_free.  NULL with a message in
 * *err (caller frees) when a file is missing or they do not match.
 */
SSL_CTX *tls_ctx_new(const char *cert_file, const char *key_file, char **err);

#endif

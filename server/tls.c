/* The server's TLS context (Mozilla intermediate, TLS 1.2 and 1.3). */
#include "tls.h"

#include <openssl/err.h>

#include "xalloc.h"

#define TLS_CIPHERS_12                                                         \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"           \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"                 \
	"DHE-RSA-CHACHA20-POLY1305"
#define TLS_CIPHERS_13                                                         \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"                       \
	"TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS "X25519:prime256v1:secp384r1"

/* The last OpenSSL error as a new string. */
static char *
tls_error(const char *what, const char *file)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
	ERR_clear_error();
	return xasprintf("%s %s: %s", what, file, buf);
}

SSL_CTX *
tls_ctx_new(const char *cert_file, const char *key_file, char **err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		*err = tls_error("creating the TLS context for", cert_file);
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12) ||
	    !SSL_CTX_set_ciphersuites(ctx, TLS_CIPHERS_13) ||
	    !SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) ||
	    !SSL_CTX_set_dh_auto(ctx, 1)) {
		*err = tls_error("configuring TLS for", cert_file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Mozilla's intermediate profile leaves the cipher choice to the
	 * client: every cipher offered is strong. */
	SSL_CTX_set_options(ctx,
			    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	/* An idle connection (an event stream, a kept-alive client) gives
	 * back its record buffers: about 12 KB each, which 10,000 streams
	 * would otherwise hold. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		*err = tls_error("loading the certificate", cert_file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		*err = tls_error("loading the private key", key_file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

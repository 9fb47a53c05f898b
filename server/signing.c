/*
 * The verdict-signing key: loading or creating DATA_DIR/verdict-signing.key,
 * Ed25519 signatures in base64, and the canonical JSON they cover.
 *
 * Every failure path clears OpenSSL's error queue: it is per thread, and a
 * stale entry left on the loop thread would make a later SSL_get_error on
 * an unrelated TLS connection report a failure that is not its own.
 */
#include "signing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "xalloc.h"

#define SIGNING_PUB_BYTES 32
#define SIGNING_SIG_BYTES 64
/* Base64 lengths with padding, without the NUL. */
#define SIGNING_PUB_B64 44
#define SIGNING_SIG_B64 88
/* A PKCS#8 PEM Ed25519 key is 119 bytes; anything near this is not one. */
#define SIGNING_FILE_MAX 16384

struct signing {
	EVP_PKEY *key;
	char key_id[SIGNING_KEY_ID_LEN + 1];
	char public_b64[SIGNING_PUB_B64 + 1];
};

enum signing_load_result {
	SIGNING_LOADED,
	SIGNING_ABSENT,
	SIGNING_FAILED,
};

/* "what: OpenSSL's reason" as a new string; empties the error queue. */
static char *
signing_ossl_error(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	if (e == 0) {
		ERR_clear_error();
		return xasprintf("%s", what);
	}
	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return xasprintf("%s: %s", what, buf);
}

/*
 * Never prompts: without this callback OpenSSL would ask for a passphrase
 * on the terminal when the file is encrypted, blocking start-up.
 */
static int
signing_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Standard base64 with padding of in[0..len) into out (NUL-terminated). */
static void
signing_b64_encode(const unsigned char *in, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static int
signing_b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes exactly `want` bytes (at most 64) from canonical standard base64:
 * the right length, padding where it belongs and nowhere else, unused bits
 * zero.  One encoding per value, so a signature cannot be re-encoded into
 * a second string that also verifies.
 */
static bool
signing_b64_decode(const char *s, unsigned char *out, size_t want)
{
	size_t len = 4 * ((want + 2) / 3), pad = (3 - want % 3) % 3;
	unsigned char buf[3 * (4 * ((SIGNING_SIG_BYTES + 2) / 3)) / 4];
	size_t i, n = 0;

	if (s == NULL || want > SIGNING_SIG_BYTES || strnlen(s, len + 1) != len)
		return false;
	for (i = 0; i < len; i += 4) {
		unsigned long v = 0;

		for (size_t j = 0; j < 4; j++) {
			int d;

			if (i + j >= len - pad) {
				if (s[i + j] != '=')
					return false;
				d = 0;
			} else if ((d = signing_b64_value(s[i + j])) < 0) {
				return false;
			}
			v = v << 6 | (unsigned long)d;
		}
		buf[n++] = (unsigned char)(v >> 16);
		buf[n++] = (unsigned char)(v >> 8);
		buf[n++] = (unsigned char)v;
	}
	/* With '=' read as zero, the bytes past `want` hold the unused bits. */
	for (i = want; i < n; i++) {
		if (buf[i] != 0)
			return false;
	}
	memcpy(out, buf, want);
	return true;
}

/* Writes all of buf, retrying short writes and interruptions. */
static int
signing_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of a folder, so that a new name in it survives a crash. */
static int
signing_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	if (rc < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/*
 * Reads the whole key file into a new buffer (*out, *len), checking first
 * that it is a regular file only its owner may access.  The caller
 * cleanses and frees *out.
 */
static enum signing_load_result
signing_read_file(const char *path, char **out, size_t *len, char **err)
{
	struct stat st;
	size_t n = 0;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return SIGNING_ABSENT;
		*err = xasprintf("cannot open the signing key %s: %s", path,
				 strerror(errno));
		return SIGNING_FAILED;
	}
	if (fstat(fd, &st) < 0) {
		*err = xasprintf("cannot stat the signing key %s: %s", path,
				 strerror(errno));
		close(fd);
		return SIGNING_FAILED;
	}
	if (!S_ISREG(st.st_mode)) {
		*err =
		    xasprintf("the signing key %s is not a regular file", path);
		close(fd);
		return SIGNING_FAILED;
	}
	/* Checked on the open file, so the answer is about what we read. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		*err = xasprintf("the signing key %s has permissions %04o: "
				 "group and others must have no access "
				 "(chmod 600 %s)",
				 path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return SIGNING_FAILED;
	}
	if (st.st_size > SIGNING_FILE_MAX) {
		*err = xasprintf("the signing key %s is too large to be an "
				 "Ed25519 key",
				 path);
		close(fd);
		return SIGNING_FAILED;
	}
	/* One byte more than the limit tells a file that grew meanwhile. */
	buf = xmalloc(SIGNING_FILE_MAX + 1);
	for (;;) {
		ssize_t r = read(fd, buf + n, SIGNING_FILE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = xasprintf("cannot read the signing key %s: %s",
					 path, strerror(errno));
			OPENSSL_cleanse(buf, n);
			free(buf);
			close(fd);
			return SIGNING_FAILED;
		}
		if (r == 0 || (n += (size_t)r) > SIGNING_FILE_MAX)
			break;
	}
	close(fd);
	if (n > SIGNING_FILE_MAX) {
		*err = xasprintf("the signing key %s is too large to be an "
				 "Ed25519 key",
				 path);
		OPENSSL_cleanse(buf, n);
		free(buf);
		return SIGNING_FAILED;
	}
	*out = buf;
	*len = n;
	return SIGNING_LOADED;
}

/* Key id and base64 public key, derived once so the getters cannot fail. */
static int
signing_derive(struct signing *s, char **err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char pub[SIGNING_PUB_BYTES], md[EVP_MAX_MD_SIZE];
	size_t publen = sizeof pub;
	unsigned int mdlen = 0;

	if (EVP_PKEY_get_raw_public_key(s->key, pub, &publen) != 1 ||
	    publen != SIGNING_PUB_BYTES ||
	    EVP_Digest(pub, publen, md, &mdlen, EVP_sha256(), NULL) != 1) {
		*err = signing_ossl_error("cannot derive the public key");
		return -1;
	}
	for (size_t i = 0; i < SIGNING_KEY_ID_LEN / 2; i++) {
		s->key_id[2 * i] = hex[md[i] >> 4];
		s->key_id[2 * i + 1] = hex[md[i] & 0x0f];
	}
	s->key_id[SIGNING_KEY_ID_LEN] = '\0';
	signing_b64_encode(pub, publen, s->public_b64);
	return 0;
}

/* Loads path into *out when it exists and holds an acceptable key. */
static enum signing_load_result
signing_load(const char *path, struct signing **out, char **err)
{
	enum signing_load_result rc;
	struct signing *s;
	EVP_PKEY *key;
	size_t len = 0;
	char *pem = NULL;
	BIO *bio;

	rc = signing_read_file(path, &pem, &len, err);
	if (rc != SIGNING_LOADED)
		return rc;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		*err = signing_ossl_error("cannot read the signing key");
		OPENSSL_cleanse(pem, len);
		free(pem);
		return SIGNING_FAILED;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, signing_no_passphrase, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (key == NULL) {
		/* OpenSSL's reason ("DECODER routines::unsupported") would
		 * tell an operator less than this. */
		ERR_clear_error();
		*err = xasprintf("the signing key %s is not an unencrypted "
				 "PKCS#8 PEM private key",
				 path);
		return SIGNING_FAILED;
	}
	if (!EVP_PKEY_is_a(key, "ED25519")) {
		const char *type = EVP_PKEY_get0_type_name(key);

		*err = xasprintf("the signing key %s holds a key of type %s, "
				 "not Ed25519",
				 path, type ? type : "unknown");
		EVP_PKEY_free(key);
		ERR_clear_error();
		return SIGNING_FAILED;
	}
	s = xcalloc(1, sizeof *s);
	s->key = key;
	if (signing_derive(s, err) < 0) {
		signing_free(s);
		return SIGNING_FAILED;
	}
	*out = s;
	return SIGNING_LOADED;
}

/* A new Ed25519 key as PKCS#8 PEM in a buffer the caller cleanses, frees. */
static char *
signing_new_pem(size_t *len, char **err)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	/* The secure-memory BIO cleanses the private key when freed. */
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL, *pem = NULL;
	long n;

	if (key == NULL || bio == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) !=
		1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		*err = signing_ossl_error("cannot create an Ed25519 key");
	} else {
		pem = xmalloc((size_t)n);
		memcpy(pem, data, (size_t)n);
		*len = (size_t)n;
	}
	BIO_free(bio);
	EVP_PKEY_free(key);
	return pem;
}

/*
 * Creates the key file: writes a new key to a temporary file beside it
 * (O_EXCL, 0600), fsyncs it, then gives it its name and fsyncs the folder,
 * so a crash leaves either no key file or a complete one.  The name is
 * given with link(), which, unlike rename(), never replaces a key another
 * process created meanwhile: two servers starting on a fresh folder end up
 * with the same key, not each with its own.  Returns 0 when the file now
 * exists (ours or theirs), -1 with *err.
 */
static int
signing_create(const char *data_dir, const char *path, char **err)
{
	unsigned char rnd[8];
	char *pem, *tmp;
	size_t len = 0;
	int fd, rc = -1;

	if ((pem = signing_new_pem(&len, err)) == NULL)
		return -1;
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		*err = signing_ossl_error("cannot name a temporary key file");
		OPENSSL_cleanse(pem, len);
		free(pem);
		return -1;
	}
	tmp = xasprintf("%s/." SIGNING_KEY_FILE ".%02x%02x%02x%02x%02x%02x%02x"
			"%02x.tmp",
			data_dir, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
			rnd[5], rnd[6], rnd[7]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		*err = xasprintf("cannot create the signing key in the "
				 "folder %s: %s",
				 data_dir, strerror(errno));
		goto out;
	}
	if (signing_write_all(fd, pem, len) < 0 || fsync(fd) < 0) {
		*err = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		*err = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (link(tmp, path) < 0) {
		if (errno == EEXIST) {
			/* Another process won: its key is the one to use. */
			unlink(tmp);
			rc = 0;
			goto out;
		}
		/* Some file systems (FAT, some network mounts) have no hard
		 * links; there rename is the atomic step left. */
		if ((errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS &&
		     errno != EMLINK) ||
		    rename(tmp, path) < 0) {
			*err = xasprintf("cannot create the signing key %s: %s",
					 path, strerror(errno));
			unlink(tmp);
			goto out;
		}
	} else if (unlink(tmp) < 0) {
		*err = xasprintf("cannot remove %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (signing_fsync_dir(data_dir) < 0) {
		*err = xasprintf("cannot sync the folder %s: %s", data_dir,
				 strerror(errno));
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(pem, len);
	free(pem);
	free(tmp);
	return rc;
}

struct signing *
signing_open(const char *data_dir, char **err)
{
	char *path = xasprintf("%s/%s", data_dir, SIGNING_KEY_FILE);
	struct signing *s = NULL;
	enum signing_load_result rc;

	*err = NULL;
	rc = signing_load(path, &s, err);
	if (rc == SIGNING_ABSENT) {
		if (signing_create(data_dir, path, err) < 0) {
			free(path);
			return NULL;
		}
		/* Read back what is on disk: that is the key that counts. */
		rc = signing_load(path, &s, err);
		if (rc == SIGNING_ABSENT)
			*err = xasprintf("the signing key %s is missing just "
					 "after its creation (a dangling "
					 "symbolic link?)",
					 path);
	}
	free(path);
	return rc == SIGNING_LOADED ? s : NULL;
}

void
signing_free(struct signing *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	free(s);
}

const char *
signing_key_id(const struct signing *s)
{
	return s->key_id;
}

const char *
signing_public_key_b64(const struct signing *s)
{
	return s->public_b64;
}

int
signing_sign(const struct signing *s, const char *msg, size_t len,
	     char **sig_b64)
{
	unsigned char sig[SIGNING_SIG_BYTES];
	size_t siglen = sizeof sig;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	*sig_b64 = NULL;
	if (msg == NULL)
		msg = "";
	/* Ed25519 is one-shot (NOTES.md): no digest, no DigestSignUpdate.
	 * The key is only read; OpenSSL's prototype is not const. */
	ok = ctx != NULL &&
	     EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->key) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg,
			    len) == 1 &&
	     siglen == SIGNING_SIG_BYTES;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		return -1;
	}
	*sig_b64 = xmalloc(SIGNING_SIG_B64 + 1);
	signing_b64_encode(sig, siglen, *sig_b64);
	return 0;
}

bool
signing_verify(const char *public_key_b64, const char *msg, size_t len,
	       const char *sig_b64)
{
	unsigned char pub[SIGNING_PUB_BYTES], sig[SIGNING_SIG_BYTES];
	EVP_PKEY *key;
	EVP_MD_CTX *ctx;
	bool ok;

	if (!signing_b64_decode(public_key_b64, pub, sizeof pub) ||
	    !signing_b64_decode(sig_b64, sig, sizeof sig))
		return false;
	if (msg == NULL) {
		if (len != 0)
			return false;
		msg = "";
	}
	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
					  sizeof pub);
	ctx = EVP_MD_CTX_new();
	ok = key != NULL && ctx != NULL &&
	     EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, sizeof sig, (const unsigned char *)msg,
			      len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	/* A bad signature leaves an entry in the queue; see the top. */
	ERR_clear_error();
	return ok;
}

char *
signing_canonical(const json_t *doc)
{
	json_t *copy;
	char *text;

	if (!json_is_object(doc))
		return NULL;
	/* A shallow copy: the members are shared, only "signature" goes.
	 * json_copy does not change its argument despite its prototype. */
	copy = json_copy((json_t *)doc);
	if (copy == NULL)
		return NULL;
	json_object_del(copy, "signature");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	return text;
}

json_t *
signing_keys_json(const struct signing *s)
{
	json_t *keys =
	    json_pack("[{s:s, s:s, s:s}]", "key_id", s->key_id, "alg",
		      SIGNING_ALG, "public_key", s->public_b64);

	/* Only allocation can fail here, which the project treats as fatal
	 * (xalloc.h), so callers need no NULL branch. */
	if (keys == NULL) {
		fprintf(stderr, "fatal: signing_keys_json: out of memory\n");
		abort();
	}
	return keys;
}

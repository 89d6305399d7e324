#include "cwebrtc.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = 1;
static void init_libraries(void) { init_status = srtp_init() == srtp_err_status_ok ? 0 : 1; }

// Any thread may be first (certificate generation, a session's SRTP), so once under pthread_once.
int cwebrtc_init(void) {
    pthread_once(&init_once, init_libraries);
    return init_status;
}

unsigned long cwebrtc_openssl_version(void) { return OpenSSL_version_num(); }

// ---------------------------------------------------------------------------------------------
// Certificate

struct cwebrtc_cert {
    EVP_PKEY *key;
    X509 *x509;
    SSL_CTX *ctx;
    uint8_t fingerprint[32];
};

// The peer's certificate is self-signed by design (WebRTC); it is authenticated afterwards by
// comparing its SHA-256 with the a=fingerprint of the SDP that came over HTTPS.
static int accept_any_certificate(int preverify_ok, X509_STORE_CTX *store) {
    (void)preverify_ok;
    (void)store;
    return 1;
}

void cwebrtc_cert_free(cwebrtc_cert *cert) {
    if (!cert) return;
    SSL_CTX_free(cert->ctx);
    X509_free(cert->x509);
    EVP_PKEY_free(cert->key);
    free(cert);
}

static X509 *make_self_signed(EVP_PKEY *key) {
    X509 *x = X509_new();
    BIGNUM *serial = BN_new();
    int ok = x && serial && X509_set_version(x, 2) && BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
             BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) != NULL &&
             X509_gmtime_adj(X509_getm_notBefore(x), -86400) != NULL &&  // tolerate a peer's clock skew
             X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) != NULL && X509_set_pubkey(x, key);
    if (ok) {
        X509_NAME *name = X509_get_subject_name(x);
        ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sluice", -1, -1, 0) &&
             X509_set_issuer_name(x, name) && X509_sign(x, key, EVP_sha256()) > 0;
    }
    BN_free(serial);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int cwebrtc_cert_generate(cwebrtc_cert **out) {
    if (!out) return CWEBRTC_ERR_ARG;
    *out = NULL;
    cwebrtc_cert *c = calloc(1, sizeof *c);
    if (!c) return CWEBRTC_ERR_NOMEM;
    ERR_clear_error();
    c->key = EVP_EC_gen("P-256");
    if (!c->key) goto fail;
    c->x509 = make_self_signed(c->key);
    if (!c->x509) goto fail;
    unsigned int n = 0;
    if (!X509_digest(c->x509, EVP_sha256(), c->fingerprint, &n) || n != 32) goto fail;

    c->ctx = SSL_CTX_new(DTLS_method());
    if (!c->ctx) goto fail;
    if (!SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION)) goto fail;
    if (SSL_CTX_use_certificate(c->ctx, c->x509) != 1 || SSL_CTX_use_PrivateKey(c->ctx, c->key) != 1 ||
        SSL_CTX_check_private_key(c->ctx) != 1)
        goto fail;
    // ECDSA key: ECDHE-ECDSA suites only; browsers offer AES-128-GCM first.
    if (SSL_CTX_set_cipher_list(c->ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA") != 1)
        goto fail;
    // The server's order decides. GCM first: with Debian's libsrtp2 (NSS backend) it protects
    // several times more packets per core than AES-CM + HMAC-SHA1. Returns 0 on success.
    if (SSL_CTX_set_tlsext_use_srtp(c->ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0) goto fail;
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
    SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
    // No renegotiation: a peer could otherwise make us redo public-key work at will.
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    *out = c;
    return CWEBRTC_OK;
fail:
    ERR_clear_error();
    cwebrtc_cert_free(c);
    return CWEBRTC_ERR_OPENSSL;
}

int cwebrtc_cert_fingerprint_sha256(const cwebrtc_cert *cert, uint8_t out[32]) {
    if (!cert || !out) return CWEBRTC_ERR_ARG;
    memcpy(out, cert->fingerprint, 32);
    return CWEBRTC_OK;
}

// ---------------------------------------------------------------------------------------------
// DTLS endpoint

struct cwebrtc_dtls {
    SSL *ssl;
    BIO *rbio;  // owned by ssl
    BIO *wbio;  // owned by ssl
    int state;
    int is_server;
    unsigned mtu;
    uint8_t expected_fp[32];
    char error[160];
};

static void set_error(cwebrtc_dtls *d, const char *what) {
    unsigned long e = ERR_peek_last_error();
    if (e) {
        char buf[120];
        ERR_error_string_n(e, buf, sizeof buf);
        snprintf(d->error, sizeof d->error, "%s: %s", what, buf);
    } else {
        snprintf(d->error, sizeof d->error, "%s", what);
    }
    ERR_clear_error();
}

void cwebrtc_dtls_free(cwebrtc_dtls *d) {
    if (!d) return;
    SSL_free(d->ssl);  // frees both BIOs
    free(d);
}

int cwebrtc_dtls_new(const cwebrtc_cert *cert, int is_server, const uint8_t *expected_fp, size_t fp_len,
                     unsigned mtu, cwebrtc_dtls **out) {
    if (!out) return CWEBRTC_ERR_ARG;
    *out = NULL;
    if (!cert || !expected_fp || fp_len != 32 || mtu < 256 || mtu > 65535) return CWEBRTC_ERR_ARG;
    cwebrtc_dtls *d = calloc(1, sizeof *d);
    if (!d) return CWEBRTC_ERR_NOMEM;
    ERR_clear_error();
    d->is_server = is_server ? 1 : 0;
    d->mtu = mtu;
    memcpy(d->expected_fp, expected_fp, 32);
    d->ssl = SSL_new(cert->ctx);
    if (!d->ssl) goto fail;
    d->rbio = BIO_new(BIO_s_mem());
    d->wbio = BIO_new(BIO_s_mem());
    if (!d->rbio || !d->wbio) {
        BIO_free(d->rbio);
        BIO_free(d->wbio);
        goto fail;
    }
    // An empty memory BIO means "retry later", not end of file.
    BIO_set_mem_eof_return(d->rbio, -1);
    BIO_set_mem_eof_return(d->wbio, -1);
    SSL_set_bio(d->ssl, d->rbio, d->wbio);
    SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
    // The MTU covers the DTLS records only: UDP/IP headers are the network's business.
    if (!DTLS_set_link_mtu(d->ssl, mtu)) goto fail;
    SSL_set_mtu(d->ssl, mtu);
    if (d->is_server)
        SSL_set_accept_state(d->ssl);
    else
        SSL_set_connect_state(d->ssl);
    d->state = CWEBRTC_DTLS_HANDSHAKING;
    *out = d;
    return CWEBRTC_OK;
fail:
    ERR_clear_error();
    cwebrtc_dtls_free(d);
    return CWEBRTC_ERR_OPENSSL;
}

static int fingerprint_matches(cwebrtc_dtls *d) {
    X509 *peer = SSL_get1_peer_certificate(d->ssl);
    if (!peer) return 0;
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = X509_digest(peer, EVP_sha256(), md, &n) && n == 32 && CRYPTO_memcmp(md, d->expected_fp, 32) == 0;
    X509_free(peer);
    return ok;
}

static void advance(cwebrtc_dtls *d) {
    ERR_clear_error();
    if (d->state == CWEBRTC_DTLS_HANDSHAKING) {
        int r = SSL_do_handshake(d->ssl);
        if (r == 1) {
            if (fingerprint_matches(d)) {
                d->state = CWEBRTC_DTLS_CONNECTED;
            } else {
                d->state = CWEBRTC_DTLS_FAILED;
                snprintf(d->error, sizeof d->error, "the peer's certificate does not match the SDP fingerprint");
            }
            return;
        }
        int e = SSL_get_error(d->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
        d->state = CWEBRTC_DTLS_FAILED;
        set_error(d, "DTLS handshake failed");
        return;
    }
    if (d->state == CWEBRTC_DTLS_CONNECTED) {
        // No application data is expected (no data channels); reading processes alerts and
        // lets OpenSSL answer a retransmitted final flight.
        uint8_t scratch[2048];
        for (int i = 0; i < 8; i++) {
            int r = SSL_read(d->ssl, scratch, sizeof scratch);
            if (r > 0) continue;
            int e = SSL_get_error(d->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
            if (e == SSL_ERROR_ZERO_RETURN) {
                d->state = CWEBRTC_DTLS_CLOSED;
                snprintf(d->error, sizeof d->error, "the peer closed DTLS");
            } else {
                d->state = CWEBRTC_DTLS_FAILED;
                set_error(d, "DTLS failed");
            }
            break;
        }
        ERR_clear_error();
    }
}

int cwebrtc_dtls_start(cwebrtc_dtls *d) {
    if (!d) return CWEBRTC_ERR_ARG;
    if (!d->is_server) advance(d);
    return d->state;
}

int cwebrtc_dtls_feed(cwebrtc_dtls *d, const uint8_t *data, size_t len) {
    if (!d || (!data && len > 0) || len > INT_MAX) return CWEBRTC_ERR_ARG;
    if (d->state != CWEBRTC_DTLS_HANDSHAKING && d->state != CWEBRTC_DTLS_CONNECTED) return d->state;
    if (len == 0) return d->state;
    // Anything left unread from an earlier datagram would merge with this one.
    (void)BIO_reset(d->rbio);
    if (BIO_write(d->rbio, data, (int)len) != (int)len) {
        ERR_clear_error();
        return d->state;
    }
    advance(d);
    return d->state;
}

int cwebrtc_dtls_next_datagram(cwebrtc_dtls *d, uint8_t *buf, size_t cap) {
    if (!d || !buf) return CWEBRTC_ERR_ARG;
    char *p = NULL;
    long n = BIO_get_mem_data(d->wbio, &p);
    if (n <= 0 || !p) return 0;
    // A memory BIO loses datagram boundaries: pack whole records (13-byte header + length) up to
    // the MTU, as a datagram BIO would have sent them.
    size_t avail = (size_t)n, take = 0;
    while (take + 13 <= avail) {
        size_t rec = 13 + (((size_t)(uint8_t)p[take + 11] << 8) | (uint8_t)p[take + 12]);
        if (take + rec > avail) break;
        if (take > 0 && take + rec > d->mtu) break;
        take += rec;
    }
    if (take == 0) take = avail;  // not a whole record: cannot happen with OpenSSL's writes; flush it
    if (take > cap || take > INT_MAX) {
        // Never left to pile up: what cannot be sent is dropped (DTLS retransmits handshakes).
        (void)BIO_reset(d->wbio);
        return CWEBRTC_ERR_SPACE;
    }
    int r = BIO_read(d->wbio, buf, (int)take);
    if (r <= 0) {
        ERR_clear_error();
        return 0;
    }
    return r;
}

int cwebrtc_dtls_state(const cwebrtc_dtls *d) { return d ? d->state : CWEBRTC_ERR_ARG; }

long cwebrtc_dtls_timeout_ms(cwebrtc_dtls *d) {
    if (!d || d->state != CWEBRTC_DTLS_HANDSHAKING) return -1;
    struct timeval tv = {0, 0};
    if (DTLSv1_get_timeout(d->ssl, &tv) != 1) return -1;
    return (long)tv.tv_sec * 1000 + (long)tv.tv_usec / 1000;
}

int cwebrtc_dtls_handle_timeout(cwebrtc_dtls *d) {
    if (!d) return CWEBRTC_ERR_ARG;
    if (d->state != CWEBRTC_DTLS_HANDSHAKING) return d->state;
    ERR_clear_error();
    if (DTLSv1_handle_timeout(d->ssl) < 0) {
        d->state = CWEBRTC_DTLS_FAILED;
        set_error(d, "DTLS retransmissions exhausted");
    }
    return d->state;
}

void cwebrtc_dtls_shutdown(cwebrtc_dtls *d) {
    if (!d || d->state != CWEBRTC_DTLS_CONNECTED) return;
    ERR_clear_error();
    (void)SSL_shutdown(d->ssl);
    ERR_clear_error();
    d->state = CWEBRTC_DTLS_CLOSED;
}

const char *cwebrtc_dtls_error(const cwebrtc_dtls *d) { return d ? d->error : ""; }

int cwebrtc_dtls_srtp_keys(cwebrtc_dtls *d, int *profile, uint8_t *local_key_salt, uint8_t *remote_key_salt,
                           size_t *key_salt_len) {
    if (!d || !profile || !local_key_salt || !remote_key_salt || !key_salt_len) return CWEBRTC_ERR_ARG;
    if (d->state != CWEBRTC_DTLS_CONNECTED) return CWEBRTC_ERR_STATE;
    SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    if (!p) return CWEBRTC_ERR_STATE;
    size_t key = 16, salt;
    if (p->id == SRTP_AES128_CM_SHA1_80) {
        salt = 14;
        *profile = CWEBRTC_SRTP_AES128_CM_SHA1_80;
    } else if (p->id == SRTP_AEAD_AES_128_GCM) {
        salt = 12;
        *profile = CWEBRTC_SRTP_AEAD_AES_128_GCM;
    } else {
        return CWEBRTC_ERR_STATE;
    }
    // RFC 5764 §4.2: client key, server key, client salt, server salt.
    uint8_t m[2 * (16 + 14)];
    static const char label[] = "EXTRACTOR-dtls_srtp";
    ERR_clear_error();
    if (SSL_export_keying_material(d->ssl, m, 2 * (key + salt), label, sizeof label - 1, NULL, 0, 0) != 1) {
        ERR_clear_error();
        return CWEBRTC_ERR_OPENSSL;
    }
    const uint8_t *ck = m, *sk = m + key, *cs = m + 2 * key, *ss = m + 2 * key + salt;
    const uint8_t *lk = d->is_server ? sk : ck, *ls = d->is_server ? ss : cs;
    const uint8_t *rk = d->is_server ? ck : sk, *rs = d->is_server ? cs : ss;
    memcpy(local_key_salt, lk, key);
    memcpy(local_key_salt + key, ls, salt);
    memcpy(remote_key_salt, rk, key);
    memcpy(remote_key_salt + key, rs, salt);
    *key_salt_len = key + salt;
    OPENSSL_cleanse(m, sizeof m);
    return CWEBRTC_OK;
}

// ---------------------------------------------------------------------------------------------
// SRTP

struct cwebrtc_srtp {
    srtp_t inbound;
    srtp_t outbound;
};

// SRTCP adds its 4-byte index after the tag.
size_t cwebrtc_srtp_max_trailer(void) { return SRTP_MAX_TRAILER_LEN + 4; }

void cwebrtc_srtp_free(cwebrtc_srtp *s) {
    if (!s) return;
    if (s->inbound) srtp_dealloc(s->inbound);
    if (s->outbound) srtp_dealloc(s->outbound);
    free(s);
}

static int make_policy(srtp_policy_t *p, int profile, const uint8_t *key_salt, size_t len, srtp_ssrc_type_t dir) {
    memset(p, 0, sizeof *p);
    if (profile == CWEBRTC_SRTP_AES128_CM_SHA1_80 && len == 30) {
        srtp_crypto_policy_set_rtp_default(&p->rtp);
        srtp_crypto_policy_set_rtcp_default(&p->rtcp);
    } else if (profile == CWEBRTC_SRTP_AEAD_AES_128_GCM && len == 28) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
    } else {
        return 0;
    }
    p->ssrc.type = dir;
    p->key = (unsigned char *)key_salt;  // copied into the session by srtp_create
    p->window_size = 1024;
    p->allow_repeat_tx = 1;
    p->next = NULL;
    return 1;
}

int cwebrtc_srtp_new(int profile, const uint8_t *local_key_salt, const uint8_t *remote_key_salt, size_t key_salt_len,
                     cwebrtc_srtp **out) {
    if (!out) return CWEBRTC_ERR_ARG;
    *out = NULL;
    if (!local_key_salt || !remote_key_salt) return CWEBRTC_ERR_ARG;
    if (cwebrtc_init() != 0) return CWEBRTC_ERR_SRTP;
    srtp_policy_t in, outp;
    if (!make_policy(&in, profile, remote_key_salt, key_salt_len, ssrc_any_inbound) ||
        !make_policy(&outp, profile, local_key_salt, key_salt_len, ssrc_any_outbound))
        return CWEBRTC_ERR_ARG;
    cwebrtc_srtp *s = calloc(1, sizeof *s);
    if (!s) return CWEBRTC_ERR_NOMEM;
    // One template per srtp_t: inbound and outbound "any SSRC" need a context each.
    if (srtp_create(&s->inbound, &in) != srtp_err_status_ok) {
        s->inbound = NULL;
        cwebrtc_srtp_free(s);
        return CWEBRTC_ERR_SRTP;
    }
    if (srtp_create(&s->outbound, &outp) != srtp_err_status_ok) {
        s->outbound = NULL;
        cwebrtc_srtp_free(s);
        return CWEBRTC_ERR_SRTP;
    }
    *out = s;
    return CWEBRTC_OK;
}

static int check_packet(cwebrtc_srtp *s, uint8_t *buf, size_t *len, size_t min, int *status) {
    if (status) *status = 0;
    if (!s || !buf || !len) return CWEBRTC_ERR_ARG;
    if (*len < min || *len > INT_MAX - 64) return CWEBRTC_ERR_ARG;
    return CWEBRTC_OK;
}

static int finish(srtp_err_status_t st, int n, size_t *len, int *status) {
    if (status) *status = (int)st;
    if (st != srtp_err_status_ok) return CWEBRTC_ERR_SRTP;
    if (n < 0) return CWEBRTC_ERR_SRTP;
    *len = (size_t)n;
    return CWEBRTC_OK;
}

int cwebrtc_srtp_protect_rtp(cwebrtc_srtp *s, uint8_t *buf, size_t *len, size_t cap, int *srtp_status) {
    int r = check_packet(s, buf, len, 12, srtp_status);
    if (r) return r;
    if (cap < *len + cwebrtc_srtp_max_trailer()) return CWEBRTC_ERR_SPACE;
    int n = (int)*len;
    return finish(srtp_protect(s->outbound, buf, &n), n, len, srtp_status);
}

int cwebrtc_srtp_protect_rtcp(cwebrtc_srtp *s, uint8_t *buf, size_t *len, size_t cap, int *srtp_status) {
    int r = check_packet(s, buf, len, 8, srtp_status);
    if (r) return r;
    if (cap < *len + cwebrtc_srtp_max_trailer()) return CWEBRTC_ERR_SPACE;
    int n = (int)*len;
    return finish(srtp_protect_rtcp(s->outbound, buf, &n), n, len, srtp_status);
}

int cwebrtc_srtp_unprotect_rtp(cwebrtc_srtp *s, uint8_t *buf, size_t *len, int *srtp_status) {
    int r = check_packet(s, buf, len, 12, srtp_status);
    if (r) return r;
    int n = (int)*len;
    return finish(srtp_unprotect(s->inbound, buf, &n), n, len, srtp_status);
}

int cwebrtc_srtp_unprotect_rtcp(cwebrtc_srtp *s, uint8_t *buf, size_t *len, int *srtp_status) {
    int r = check_packet(s, buf, len, 8, srtp_status);
    if (r) return r;
    int n = (int)*len;
    return finish(srtp_unprotect_rtcp(s->inbound, buf, &n), n, len, srtp_status);
}

// DTLS 1.2 (OpenSSL) and SRTP (libsrtp2) behind a small C API for Sluice's WebRTC tier.
// Swift cannot call OpenSSL's function-like macros or libsrtp2's policy setters directly.
// Every function returns an error code (never aborts); each object has one owner that frees it
// and uses it from one thread at a time.
#ifndef CWEBRTC_H
#define CWEBRTC_H

#include <stddef.h>
#include <stdint.h>

/// One-time library initialisation (libsrtp2's srtp_init). Returns 0 on success.
int cwebrtc_init(void);

/// OpenSSL's version number (OPENSSL_VERSION_NUMBER at run time).
unsigned long cwebrtc_openssl_version(void);

enum {
    CWEBRTC_OK = 0,
    CWEBRTC_ERR_ARG = -1,        // bad argument (null, size out of range)
    CWEBRTC_ERR_NOMEM = -2,
    CWEBRTC_ERR_OPENSSL = -3,    // an OpenSSL call failed
    CWEBRTC_ERR_STATE = -4,      // not in a state where this call makes sense
    CWEBRTC_ERR_SRTP = -5,       // libsrtp2 refused (authentication, replay, ...): see srtp status
    CWEBRTC_ERR_FINGERPRINT = -6,// the peer's certificate does not match the SDP's a=fingerprint
    CWEBRTC_ERR_SPACE = -7,      // output buffer too small
};

// ---------------------------------------------------------------------------------------------
// Certificate: a self-signed ECDSA P-256 certificate and its key, with an SSL_CTX for DTLS 1.2.
// The context is read-only once made, so many endpoints (on any thread) may share it.
typedef struct cwebrtc_cert cwebrtc_cert;

/// Generates key + certificate (30 days, random serial) and the DTLS context. 0 on success.
int cwebrtc_cert_generate(cwebrtc_cert **out);
void cwebrtc_cert_free(cwebrtc_cert *cert);
/// SHA-256 of the DER certificate into out[32].
int cwebrtc_cert_fingerprint_sha256(const cwebrtc_cert *cert, uint8_t out[32]);

// ---------------------------------------------------------------------------------------------
// DTLS endpoint over memory BIOs: datagrams in, datagrams out.
typedef struct cwebrtc_dtls cwebrtc_dtls;

enum {
    CWEBRTC_DTLS_HANDSHAKING = 0,
    CWEBRTC_DTLS_CONNECTED = 1,  // handshake done and the peer's fingerprint matched
    CWEBRTC_DTLS_FAILED = 2,
    CWEBRTC_DTLS_CLOSED = 3,     // the peer sent close_notify
};

/// is_server: 1 = accept (setup:passive), 0 = connect. expected_fp: the SHA-256 fingerprint the
/// peer's certificate must have (32 bytes). mtu: bytes per datagram (e.g. 1200).
int cwebrtc_dtls_new(const cwebrtc_cert *cert, int is_server, const uint8_t *expected_fp, size_t fp_len,
                     unsigned mtu, cwebrtc_dtls **out);
void cwebrtc_dtls_free(cwebrtc_dtls *d);
/// Client: send the ClientHello. Server: no-op. Returns the state.
int cwebrtc_dtls_start(cwebrtc_dtls *d);
/// Feeds one received datagram and advances the handshake. Returns the state (or < 0 on bad args).
int cwebrtc_dtls_feed(cwebrtc_dtls *d, const uint8_t *data, size_t len);
/// Copies the next datagram to send into buf (records packed up to the MTU). Returns its length,
/// 0 when nothing is pending, CWEBRTC_ERR_SPACE if cap is too small for the next record (then
/// everything pending is dropped).
int cwebrtc_dtls_next_datagram(cwebrtc_dtls *d, uint8_t *buf, size_t cap);
int cwebrtc_dtls_state(const cwebrtc_dtls *d);
/// Milliseconds until a retransmission is due (0 = now), or -1 when no timer runs.
long cwebrtc_dtls_timeout_ms(cwebrtc_dtls *d);
/// Retransmits the last flight if its timer expired. Returns the state.
int cwebrtc_dtls_handle_timeout(cwebrtc_dtls *d);
/// Queues a close_notify alert (then call next_datagram).
void cwebrtc_dtls_shutdown(cwebrtc_dtls *d);
/// A short description of why the endpoint failed ("" when it did not).
const char *cwebrtc_dtls_error(const cwebrtc_dtls *d);

enum { CWEBRTC_SRTP_AES128_CM_SHA1_80 = 1, CWEBRTC_SRTP_AEAD_AES_128_GCM = 7 };
/// After the handshake: the negotiated SRTP profile and the keying material per RFC 5764 §4.2,
/// as key || salt for our side (local) and the peer's (remote). *key_salt_len gets the length
/// (30 for AES128_CM_SHA1_80, 28 for AEAD_AES_128_GCM); each buffer must hold 64 bytes.
int cwebrtc_dtls_srtp_keys(cwebrtc_dtls *d, int *profile, uint8_t *local_key_salt, uint8_t *remote_key_salt,
                           size_t *key_salt_len);

// ---------------------------------------------------------------------------------------------
// SRTP session: one outbound and one inbound libsrtp2 context (any SSRC), replay window 1024,
// repeated transmissions allowed (NACK retransmits the same packet).
typedef struct cwebrtc_srtp cwebrtc_srtp;

/// Bytes protect may add; the buffer passed to protect must have this much room after the packet.
size_t cwebrtc_srtp_max_trailer(void);
int cwebrtc_srtp_new(int profile, const uint8_t *local_key_salt, const uint8_t *remote_key_salt, size_t key_salt_len,
                     cwebrtc_srtp **out);
void cwebrtc_srtp_free(cwebrtc_srtp *s);
/// In place: buf holds a packet of *len bytes and has room for cap bytes. On success *len is the
/// new length. Returns 0, CWEBRTC_ERR_ARG / CWEBRTC_ERR_SPACE, or CWEBRTC_ERR_SRTP with
/// *srtp_status set to libsrtp2's status (9 = replay_fail, 10 = replay_old, 7 = auth_fail).
int cwebrtc_srtp_protect_rtp(cwebrtc_srtp *s, uint8_t *buf, size_t *len, size_t cap, int *srtp_status);
int cwebrtc_srtp_protect_rtcp(cwebrtc_srtp *s, uint8_t *buf, size_t *len, size_t cap, int *srtp_status);
int cwebrtc_srtp_unprotect_rtp(cwebrtc_srtp *s, uint8_t *buf, size_t *len, int *srtp_status);
int cwebrtc_srtp_unprotect_rtcp(cwebrtc_srtp *s, uint8_t *buf, size_t *len, int *srtp_status);

#endif

// DTLS 1.2 (OpenSSL) and SRTP (libsrtp2) behind a small C API for Sluice's WebRTC tier.
// Swift cannot call OpenSSL's function-like macros or libsrtp2's policy setters directly.
#ifndef CWEBRTC_H
#define CWEBRTC_H

#include <stddef.h>
#include <stdint.h>

/// One-time library initialisation (libsrtp2's srtp_init). Returns 0 on success.
int cwebrtc_init(void);

/// OpenSSL's version number (OPENSSL_VERSION_NUMBER at run time).
unsigned long cwebrtc_openssl_version(void);

#endif

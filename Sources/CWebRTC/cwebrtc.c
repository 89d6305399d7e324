#include "cwebrtc.h"

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

int cwebrtc_init(void) {
    static int status = -1;
    // srtp_init is idempotent in libsrtp2 2.x; keep the first result.
    if (status < 0) status = srtp_init() == srtp_err_status_ok ? 0 : 1;
    return status;
}

unsigned long cwebrtc_openssl_version(void) { return OpenSSL_version_num(); }

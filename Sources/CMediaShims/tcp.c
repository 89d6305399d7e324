// Kept apart from shims.c: linux/tcp.h and glibc's netinet headers cannot share a unit.
#include "CMediaShims.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <linux/tcp.h>

int sluice_tcp_link(int fd, struct sluice_tcp_link *out) {
    struct tcp_info info;
    memset(&info, 0, sizeof info);
    socklen_t length = sizeof info;
    if (getsockopt(fd, 6 /* SOL_TCP = IPPROTO_TCP */, TCP_INFO, &info, &length) < 0) return -1;
    out->rtt_us = info.tcpi_rtt;
    out->rtt_var_us = info.tcpi_rttvar;
    out->delivery_rate_bytes_per_s = info.tcpi_delivery_rate;
    out->delivery_rate_app_limited = info.tcpi_delivery_rate_app_limited;
    out->total_retrans = info.tcpi_total_retrans;
    out->notsent_bytes = info.tcpi_notsent_bytes;
    int queued = 0;
    if (ioctl(fd, SIOCOUTQ, &queued) < 0) return -1;
    out->outq_bytes = queued;
    return 0;
}

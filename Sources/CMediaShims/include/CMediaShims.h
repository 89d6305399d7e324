#ifndef SLUICE_CMEDIASHIMS_H
#define SLUICE_CMEDIASHIMS_H

#include <stdint.h>
#include <stddef.h>

// Wrappers for what Swift cannot import from FFmpeg and libopus: function-like macros,
// variadic functions and va_list callbacks. One wrapper per macro, prefixed sluice_.

// FFmpeg error codes (AVERROR(e) is a macro, AVERROR_EOF a macro over FFERRTAG).
int sluice_averror(int posix_errno);
int sluice_averror_eagain(void);
int sluice_averror_eof(void);
int64_t sluice_av_nopts_value(void);

// av_err2str is a macro over a compound literal; this writes into the caller's buffer.
void sluice_av_strerror(int errnum, char *buf, size_t size);

// av_log: FFmpeg calls back with a va_list, which Swift cannot take. The shim formats the
// line and hands complete, newline-free lines to this Swift callback.
typedef void (*sluice_log_sink)(int level, const char *line);
void sluice_av_log_install(sluice_log_sink sink, int max_level);
void sluice_av_log_uninstall(void);

// opus_encoder_ctl / opus_decoder_ctl are variadic; one wrapper per request Sluice uses.
struct OpusEncoder;
struct OpusDecoder;
int sluice_opus_set_bitrate(struct OpusEncoder *enc, int32_t bps);
int sluice_opus_get_bitrate(struct OpusEncoder *enc, int32_t *bps);
int sluice_opus_set_complexity(struct OpusEncoder *enc, int32_t complexity);
int sluice_opus_set_vbr(struct OpusEncoder *enc, int32_t vbr);
int sluice_opus_set_inband_fec(struct OpusEncoder *enc, int32_t on);
int sluice_opus_set_packet_loss_perc(struct OpusEncoder *enc, int32_t percent);
int sluice_opus_set_signal(struct OpusEncoder *enc, int32_t signal);
int sluice_opus_get_lookahead(struct OpusEncoder *enc, int32_t *samples);
int sluice_opus_encoder_reset(struct OpusEncoder *enc);
int sluice_opus_decoder_reset(struct OpusDecoder *dec);

/// Bytes glibc's malloc has handed out and not taken back, all arenas (mallinfo2: in-use
/// chunks + mmapped blocks). Unlike the resident set it does not move with arena trimming,
/// so the leak check can use a tight bound. Swift's Glibc module does not export mallinfo2.
size_t sluice_heap_bytes_in_use(void);

/// A TCP sender's view of its link (Linux TCP_INFO and SIOCOUTQ), for the uplink's bitrate
/// controller. linux/tcp.h's struct tcp_info has bitfields and fields glibc's lacks
/// (tcpi_delivery_rate), so the shim reads it. Returns 0, or -1 with errno set.
struct sluice_tcp_link {
    uint32_t rtt_us;
    uint32_t rtt_var_us;
    uint64_t delivery_rate_bytes_per_s;
    /// The estimate was taken while the sender had nothing to send: it measures us, not the path.
    uint8_t delivery_rate_app_limited;
    uint32_t total_retrans;
    uint32_t notsent_bytes;
    /// SIOCOUTQ: bytes in the send queue, sent but unacknowledged plus not yet sent.
    int32_t outq_bytes;
};
int sluice_tcp_link(int fd, struct sluice_tcp_link *out);

#endif

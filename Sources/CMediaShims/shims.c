#include "CMediaShims.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <opus.h>

int sluice_averror(int posix_errno) { return AVERROR(posix_errno); }
int sluice_averror_eagain(void) { return AVERROR(EAGAIN); }
int sluice_averror_eof(void) { return AVERROR_EOF; }
int64_t sluice_av_nopts_value(void) { return AV_NOPTS_VALUE; }

void sluice_av_strerror(int errnum, char *buf, size_t size) {
    if (size == 0) return;
    if (av_strerror(errnum, buf, size) < 0) {
        snprintf(buf, size, "unknown FFmpeg error %d", errnum);
    }
}

static _Atomic(sluice_log_sink) log_sink = NULL;

static void sluice_av_log_callback(void *avcl, int level, const char *fmt, va_list vl) {
    sluice_log_sink sink = atomic_load(&log_sink);
    if (sink == NULL || level > av_log_get_level()) return;
    // print_prefix is per-thread state in FFmpeg's own callback; lines here are formatted
    // independently, always with the context prefix ("[libx264 @ 0x...]").
    char line[1024];
    int print_prefix = 1;
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    if (n == 0) return;
    sink(level, line);
}

void sluice_av_log_install(sluice_log_sink sink, int max_level) {
    atomic_store(&log_sink, sink);
    av_log_set_level(max_level);
    av_log_set_callback(sluice_av_log_callback);
}

void sluice_av_log_uninstall(void) {
    av_log_set_callback(av_log_default_callback);
    atomic_store(&log_sink, NULL);
}

int sluice_opus_set_bitrate(struct OpusEncoder *enc, int32_t bps) { return opus_encoder_ctl(enc, OPUS_SET_BITRATE(bps)); }
int sluice_opus_get_bitrate(struct OpusEncoder *enc, int32_t *bps) { return opus_encoder_ctl(enc, OPUS_GET_BITRATE(bps)); }
int sluice_opus_set_complexity(struct OpusEncoder *enc, int32_t c) { return opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(c)); }
int sluice_opus_set_vbr(struct OpusEncoder *enc, int32_t vbr) { return opus_encoder_ctl(enc, OPUS_SET_VBR(vbr)); }
int sluice_opus_set_inband_fec(struct OpusEncoder *enc, int32_t on) { return opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(on)); }
int sluice_opus_set_packet_loss_perc(struct OpusEncoder *enc, int32_t p) { return opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(p)); }
int sluice_opus_set_signal(struct OpusEncoder *enc, int32_t s) { return opus_encoder_ctl(enc, OPUS_SET_SIGNAL(s)); }
int sluice_opus_get_lookahead(struct OpusEncoder *enc, int32_t *samples) { return opus_encoder_ctl(enc, OPUS_GET_LOOKAHEAD(samples)); }
int sluice_opus_encoder_reset(struct OpusEncoder *enc) { return opus_encoder_ctl(enc, OPUS_RESET_STATE); }
int sluice_opus_decoder_reset(struct OpusDecoder *dec) { return opus_decoder_ctl(dec, OPUS_RESET_STATE); }

size_t sluice_heap_bytes_in_use(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

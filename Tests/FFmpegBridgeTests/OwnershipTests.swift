import CFFmpeg
import FFmpegBridge
import Foundation
import MediaCore
import Testing
import TestSupport

/// Finding 1: an owner of a C object whose initializer throws must neither crash nor act on
/// what was never set up (a trailer without a header), and sizes from the network must not trap.
@Suite struct OwnershipTests {
    /// A loopback TCP port that refuses connections.
    static func refusedPort() throws -> Int { try ClosedPort.make() }

    /// Before the fix, deinit wrote a trailer on the never-opened output: a segfault.
    @Test func urlWriterToARefusedPortThrowsAClearError() throws {
        let port = try Self.refusedPort()
        let track = TrackInfo(codec: .h264, timebase: .milliseconds, width: 64, height: 64)
        for format in ["flv", "mpegts"] {
            let url = format == "flv" ? "rtmp://127.0.0.1:\(port)/live/x" : "tcp://127.0.0.1:\(port)"
            let error = #expect(throws: FFmpegError.self) { _ = try URLWriter(url: url, format: format, tracks: [track]) }
            #expect(error?.operation == "open \(url)")
            #expect(error?.message == "Connection refused", "\(String(describing: error))")
        }
    }

    /// `sluice push srt://...` to nobody: the same path, and an error that says what to check.
    @Test func urlWriterToAnUnansweredSRTPortSaysSo() throws {
        let port = try Self.refusedPort()
        let track = TrackInfo(codec: .h264, timebase: .milliseconds, width: 64, height: 64)
        let error = #expect(throws: FFmpegError.self) {
            _ = try URLWriter(url: "srt://127.0.0.1:\(port)?streamid=live/x", format: "mpegts", tracks: [track])
        }
        #expect(error?.message.contains("no SRT listener accepted the call") == true, "\(String(describing: error))")
    }

    @Test func failingInitializersThrowAndFreeWhatTheyAllocated() {
        // swr_init refuses a 0 Hz input: the SwrContext allocated before it is freed by deinit.
        #expect(throws: FFmpegError.self) {
            _ = try Resampler(inputRate: 0, inputChannels: 2, inputFormat: AV_SAMPLE_FMT_FLTP,
                              outputRate: 48000, outputChannels: 2, outputFormat: AV_SAMPLE_FMT_FLTP)
        }
        // A custom-AVIO demuxer that gets no bytes: its AVIO buffer and context are freed.
        #expect(throws: FFmpegError.self) { _ = try Demuxer(format: "mpegts") { _ in 0 } }
        #expect(throws: FFmpegError.self) { _ = try Demuxer(format: "no-such-format") { _ in 0 } }
    }

    /// Finding 9 below the parser: a size that does not fit FFmpeg's Int32 is an error.
    @Test func sizesBeyondInt32AreErrorsNotTraps() {
        let wide = TrackInfo(codec: .h264, timebase: .milliseconds, width: 1 << 31, height: 720)
        let error = #expect(throws: FFmpegError.self) { _ = try Muxer(format: "mp4", tracks: [wide], options: ["movflags": "frag_custom+empty_moov"]) }
        #expect(error?.operation == "video width")
        #expect(throws: FFmpegError.self) { _ = try Frame(width: 1 << 32, height: 2, format: AV_PIX_FMT_YUV420P) }
        #expect(throws: FFmpegError.self) {
            _ = try Encoder(audio: AudioEncoderSettings(sampleRate: 1 << 40, channels: 2, bitrate: 64_000))
        }
        #expect(throws: FFmpegError.self) { _ = try Decoder(codecName: "aac", sampleRate: 1 << 33, channels: 2) }
    }
}

import BitrateControl
import Bitstream
import CFFmpeg
import FFmpegBridge
import Foundation
import MediaCore
import StreamHub

/// The encoder thread: libx264 (zerolatency, VBV capped at the target), with the controller's
/// decision applied between frames — the bitrate (libavcodec reconfigures x264 when
/// bit_rate/rc_max_rate/rc_buffer_size change), every other frame skipped at the bottom of the
/// range, and an IDR when the sender dropped to a keyframe. Each access unit gets its
/// latency stamp as an SEI, first.
struct UplinkEncoder {
    var fps: Int
    var gopSeconds = 2
    /// VBV buffer in seconds of the target rate: small, so a rate cut shows at once and a
    /// keyframe's burst queues at most ~¼ s at a link that carries the target.
    var bufferSeconds = 0.25
    var threads = 2

    func run(pictures: HandOffQueue<DropNewestPolicy<RawPicture>>, output: HandOffQueue<SendBudgetPolicy>,
             control: UplinkControl) throws {
        var encoder: Encoder?
        var scaler: Scaler?
        var size = (width: 0, height: 0)
        var full = (width: 0, height: 0)
        var kbps = 0
        var index = 0
        var stamps: [Int64: Int64] = [:]
        var lastDts: Int64?
        let frameMicros = Int64(1_000_000 / max(1, fps))
        while !control.isStopping {
            guard let picture = pictures.pop(timeout: .milliseconds(200)) else {
                if pictures.isClosed { break }
                continue
            }
            var frame = picture.frame
            let decision = control.decision
            if full.width == 0 {
                // Even dimensions for 4:2:0; the first picture decides the size.
                full = (frame.width & ~1, frame.height & ~1)
                guard full.width >= 16, full.height >= 16 else { throw UplinkError("input picture \(frame.width)x\(frame.height) is too small") }
                kbps = decision.bitrateKbps
            }
            // The last step down: half the size (a new encoder, so new SPS/PPS and an IDR; RTMP
            // gets a new sequence header, MPEG-TS carries them in band).
            let want = decision.step == .reducedResolution && full.width >= 64 && full.height >= 64
                ? (width: (full.width / 2) & ~1, height: (full.height / 2) & ~1) : full
            if encoder == nil || want != size {
                size = want
                var settings = VideoEncoderSettings(width: size.width, height: size.height, timebase: Rational(1, 1_000_000),
                                                    frameRate: Rational(Int32(clamping: fps), 1), bitrate: kbps * 1000,
                                                    maxBitrate: kbps * 1000, bufferSize: Int(Double(kbps * 1000) * bufferSeconds),
                                                    gopSize: fps * gopSeconds,
                                                    options: ["preset": "veryfast", "tune": "zerolatency", "x264-params": "scenecut=0"])
                settings.threads = threads
                // SPS/PPS in band on every keyframe: MPEG-TS needs them there, RTMP builds its
                // sequence header from them.
                settings.globalHeader = false
                encoder = try Encoder(video: settings)
                scaler = nil
            }
            guard let encoder else { break }
            if frame.width != size.width || frame.height != size.height || frame.pixelFormat != AV_PIX_FMT_YUV420P {
                if scaler == nil || scaler!.outputWidth != size.width || scaler!.outputHeight != size.height {
                    scaler = try Scaler(inputWidth: frame.width, inputHeight: frame.height, inputFormat: frame.pixelFormat,
                                        outputWidth: size.width, outputHeight: size.height)
                }
                frame = try scaler!.scale(frame)
            }
            index += 1
            if decision.step != .full && index % 2 == 0 {
                control.countEncoded(decimated: true)
                continue // half the frame rate at the bottom of the range
            }
            if decision.bitrateKbps != kbps, decision.bitrateKbps > 0 {
                kbps = decision.bitrateKbps
                encoder.setBitrate(kbps * 1000, maxBitrate: kbps * 1000, bufferSize: Int(Double(kbps * 1000) * bufferSeconds))
            }
            frame.pts = picture.pts
            frame.forceKeyframe = control.takeKeyframeRequest()
            if stamps.count > 256 { stamps.removeAll() } // never grows on an encoder that drops frames
            stamps[picture.pts] = picture.stampMicros
            for packet in try encoder.encode(frame) {
                control.countEncoded(decimated: false)
                var nals = NALUnits.splitAnnexB(packet.bytes)
                if let clock = stamps.removeValue(forKey: packet.pts) {
                    nals.insert(LatencyStamp(wallClockMicros: clock).message.nal()[...], at: 0)
                }
                var annexB: [UInt8] = []
                annexB.reserveCapacity(packet.size + 64)
                for nal in nals {
                    annexB += [0, 0, 0, 1]
                    annexB += nal
                }
                // dts strictly increasing (x264 without B-frames gives dts == pts).
                let dts = max(packet.dts, (lastDts ?? (packet.dts - 1)) + 1)
                lastDts = dts
                var unit = UplinkUnit(kind: .video, pts: max(packet.pts, dts), dts: dts, duration: frameMicros,
                                      isKeyframe: packet.isKeyframe, data: annexB)
                unit.width = size.width
                unit.height = size.height
                output.push(unit)
            }
        }
    }
}

import Bitstream
import CFFmpeg
import FFmpegBridge
import MediaCore
import NIOCore

/// Media made inside the tests with FFmpegBridge's encoders: no fixtures on disk.
enum SyntheticMedia {
    /// The source's timebase: milliseconds, as RTMP delivers them, so the session must rescale.
    static let timebase = Rational.milliseconds

    /// H.264 in hub conventions (avcC extradata, length-prefixed units). `stampEvery` puts a
    /// latency SEI (wall clock = 1_000_000 + frame index) into every Nth frame.
    static func video(width: Int = 320, height: Int = 240, frames: Int, fps: Int = 30, keyint: Int = 30,
                      bFrames: Int = 0, bitrate: Int = 600_000, firstFrame: Int = 0,
                      stampEvery: Int? = nil, hevc: Bool = false) throws -> (track: TrackInfo, units: [MediaUnit]) {
        var settings = VideoEncoderSettings(codecName: hevc ? "libx265" : "libx264", width: width, height: height,
                                            timebase: timebase, frameRate: Rational(Int32(fps), 1), bitrate: bitrate, gopSize: keyint,
                                            options: hevc ? ["preset": "ultrafast", "x265-params": "log-level=error"] : ["preset": "ultrafast"])
        settings.maxBFrames = bFrames
        let encoder = try Encoder(video: settings)
        let config: [UInt8]? = hevc ? HEVCDecoderConfigurationRecord(annexB: encoder.extradata)?.bytes
                                    : AVCDecoderConfigurationRecord(annexB: encoder.extradata)?.bytes
        guard let config else { throw TestFailure("\(settings.codecName) gave no parameter sets") }
        let track = TrackInfo(codec: hevc ? .hevc : .h264, timebase: timebase, extradata: ByteBuffer(bytes: config),
                              width: width, height: height, frameRate: Rational(Int32(fps), 1))
        var units: [MediaUnit] = []
        var seed: UInt32 = 12345
        var indexByPTS: [Int64: Int] = [:]
        func collect(_ packets: [Packet]) {
            for p in packets {
                var nals = NALUnits.splitAnnexB(p.bytes)
                let frameIndex = indexByPTS[p.pts] ?? -1
                if let every = stampEvery, frameIndex % every == 0 {
                    let sei = LatencyStamp(wallClockMicros: stampValue(frameIndex)).message.nal(hevc: hevc)
                    let at = nals.firstIndex {
                        hevc ? (NALUnits.hevcType($0) ?? 99) < 32 : (1...5).contains(NALUnits.h264Type($0) ?? 0)
                    } ?? nals.endIndex
                    nals.insert(ArraySlice(sei), at: at)
                }
                units.append(MediaUnit(track: .video, pts: p.pts, dts: p.dts, timebase: timebase, isKeyframe: p.isKeyframe,
                                       data: ByteBuffer(bytes: NALUnits.joinLengthPrefixed(nals)),
                                       ingestWallClock: wallClock(frameIndex)))
            }
        }
        for i in firstFrame..<(firstFrame + frames) {
            let frame = try Frame(width: width, height: height, format: AV_PIX_FMT_YUV420P)
            fill(frame, index: i, seed: &seed)
            frame.pts = Int64(i) * 1000 / Int64(fps)
            indexByPTS[frame.pts] = i
            collect(try encoder.encode(frame))
        }
        collect(try encoder.encode(nil))
        return (track, units)
    }

    static func stampValue(_ frameIndex: Int) -> Int64 { 1_000_000 + Int64(frameIndex) }
    static func wallClock(_ frameIndex: Int) -> Int64 { 5_000_000_000 + Int64(frameIndex) * 1000 }

    /// A moving gradient with noise: enough detail that bitrate targets bind.
    static func fill(_ frame: Frame, index: Int, seed: inout UInt32) {
        for plane in 0..<3 {
            guard let base = frame.data(plane) else { continue }
            let w = plane == 0 ? frame.width : frame.width / 2
            let h = plane == 0 ? frame.height : frame.height / 2
            let stride = frame.lineSize(plane)
            for y in 0..<h {
                let row = base + y * stride
                for x in 0..<w {
                    seed = seed &* 1_664_525 &+ 1_013_904_223
                    let noise = Int(seed >> 27) // 0...31
                    row[x] = UInt8(truncatingIfNeeded: (x + y + index * 4) * (plane == 0 ? 1 : 2) / 2 + noise)
                }
            }
        }
    }

    /// AAC-LC in hub conventions (AudioSpecificConfig, raw frames): a 440 Hz tone.
    static func aac(seconds: Double, sampleRate: Int = 44100, channels: Int = 2) throws -> (track: TrackInfo, units: [MediaUnit]) {
        let encoder = try Encoder(audio: AudioEncoderSettings(sampleRate: sampleRate, channels: channels, bitrate: 96_000))
        let tb = Rational(1, Int32(sampleRate))
        let track = TrackInfo(codec: .aac, timebase: tb, extradata: ByteBuffer(bytes: encoder.extradata),
                              sampleRate: sampleRate, channels: channels)
        var units: [MediaUnit] = []
        let total = Int(seconds * Double(sampleRate))
        var done = 0
        func collect(_ packets: [Packet]) {
            for p in packets {
                units.append(MediaUnit(track: .audio, pts: p.pts, dts: p.dts, timebase: tb, isKeyframe: true,
                                       data: p.byteBuffer(), ingestWallClock: 7_000_000_000 + p.pts))
            }
        }
        while done < total {
            let frame = try Frame(samples: 1024, format: encoder.sampleFormat, sampleRate: sampleRate, channels: channels)
            for c in 0..<channels {
                let plane = UnsafeMutableRawPointer(frame.data(c)!).assumingMemoryBound(to: Float.self)
                for i in 0..<1024 {
                    plane[i] = 0.3 * Float(sin(2 * Double.pi * 440 * Double(done + i) / Double(sampleRate)))
                }
            }
            frame.pts = Int64(done)
            done += 1024
            collect(try encoder.encode(frame))
        }
        collect(try encoder.encode(nil))
        return (track, units)
    }

    /// Decodes a rendition's units; every picture, in presentation order.
    static func decode(_ units: [MediaUnit], track: TrackInfo) throws -> [Frame] {
        let decoder = try Decoder(track: track)
        var frames: [Frame] = []
        for unit in units {
            let p = try Packet(copying: unit.data)
            p.pts = unit.pts
            p.dts = unit.dts
            frames += try decoder.decode(p)
        }
        frames += try decoder.decode(nil)
        return frames
    }
}

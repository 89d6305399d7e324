import CFFmpeg
import FFmpegBridge
import Foundation
import LatencyProbe
import MediaCore
import NIOCore
import StreamHub

/// Where the pictures come from: the stamped test pattern, or any libavformat input (a file,
/// a local RTMP/SRT listen URL an encoder such as OBS pushes to). Runs on its own thread:
/// demux, decode video, carry audio (AAC copied, anything else transcoded to AAC).
public enum UplinkInput: Sendable {
    case testPattern(width: Int, height: Int, fps: Int)
    /// `options` go to libavformat (e.g. `listen=1` for an RTMP listen input).
    case media(url: String, options: [String: String], loop: Bool)
}

/// What the input carries, known once it is open: the transport needs it for its headers.
public struct UplinkInputInfo: Sendable {
    public var fps: Int
    /// AAC, timebase µs, AudioSpecificConfig as extradata; nil without audio.
    public var audio: TrackInfo?
}

/// Not Sendable: the demuxer and decoders belong to the source thread.
final class UplinkSource {
    let input: UplinkInput
    let seconds: Double?
    private var demuxer: Demuxer?
    private var videoIndex: Int?
    private var audioIndex: Int?
    private var videoDecoder: Decoder?
    private var videoTimebase = Rational(1, 1000)
    private var audioTimebase = Rational(1, 1000)
    private var aacCopy = false
    private var aacTranscoder: AACTranscoder?
    private(set) var info = UplinkInputInfo(fps: 30, audio: nil)

    init(input: UplinkInput, seconds: Double?) {
        self.input = input
        self.seconds = seconds
    }

    /// Opens the input (blocks until a listen input has a publisher).
    func open() throws {
        guard case .media(let url, let options, _) = input else {
            if case .testPattern(_, _, let fps) = input { info.fps = fps }
            return
        }
        let d: Demuxer
        do {
            d = try Demuxer(url: url, options: options)
        } catch {
            throw UplinkError("cannot read the input \(url): \(error)")
        }
        demuxer = d
        guard let video = d.streams.first(where: { $0.kind == .video }) else {
            throw UplinkError("the input \(url) has no video")
        }
        videoIndex = video.index
        videoTimebase = video.timebase
        if let track = video.track {
            videoDecoder = try Decoder(track: track, threads: 2, threadType: .slice)
            if let rate = track.frameRate, rate.num > 0, rate.den > 0 {
                info.fps = max(1, min(120, Int((Double(rate.num) / Double(rate.den)).rounded())))
            }
        } else {
            videoDecoder = try Decoder(codecName: video.codecName, timebase: video.timebase, threads: 2, threadType: .slice)
        }
        if let audio = d.streams.first(where: { $0.kind == .audio }) {
            audioIndex = audio.index
            audioTimebase = audio.timebase
            if let track = audio.track, track.codec == .aac, let asc = track.extradata, asc.readableBytes > 0 {
                aacCopy = true
                info.audio = TrackInfo(codec: .aac, timebase: Rational(1, 1_000_000), extradata: asc,
                                       sampleRate: track.sampleRate, channels: track.channels)
            } else {
                let transcoder = try AACTranscoder(codecName: audio.codecName, sampleRate: audio.sampleRate,
                                                   channels: audio.channels, timebase: audio.timebase)
                aacTranscoder = transcoder
                info.audio = TrackInfo(codec: .aac, timebase: Rational(1, 1_000_000), extradata: ByteBuffer(bytes: transcoder.audioSpecificConfig),
                                       sampleRate: transcoder.sampleRate, channels: transcoder.channels)
            }
        }
    }

    /// Produces until the input ends, `seconds` pass or the push stops.
    func run(pictures: HandOffQueue<DropNewestPolicy<RawPicture>>, audio: HandOffQueue<SendBudgetPolicy>,
             control: UplinkControl) throws {
        switch input {
        case .testPattern(let width, let height, let fps):
            let start = Date()
            var index = 0
            while !control.isStopping {
                let due = Double(index) / Double(fps)
                if let seconds, due >= seconds { break }
                let wait = start.addingTimeInterval(due).timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                let frame = try TestPattern.frame(width: width, height: height, index: index)
                let now = WallClock.nowMicros()
                PixelClock.draw(millis: UInt64(max(0, now / 1000)), into: frame) // the same instant as the SEI stamp
                pictures.push(RawPicture(frame: frame, pts: Int64(index) * 1_000_000 / Int64(fps), stampMicros: now))
                index += 1
            }
        case .media(let url, let options, let loop):
            try runMedia(url: url, options: options, loop: loop, pictures: pictures, audio: audio, control: control)
        }
    }

    private func runMedia(url: String, options: [String: String], loop: Bool,
                          pictures: HandOffQueue<DropNewestPolicy<RawPicture>>, audio: HandOffQueue<SendBudgetPolicy>,
                          control: UplinkControl) throws {
        // Files are read as fast as the disk allows: pace them to real time. Live inputs pace themselves.
        let paced = !url.contains("://") || url.hasPrefix("file:")
        let micros = Rational(1, 1_000_000)
        let wallStart = Date()
        var mediaStart: Int64?
        var offset: Int64 = 0 // µs added to every timestamp of this pass (loops continue the clock)
        var passStart: Int64?
        var end: Int64 = 0 // the latest end of media seen, µs
        var stamps: [Int64: Int64] = [:] // decoder pts -> stamp carried by the input
        while !control.isStopping {
            if let seconds, Date().timeIntervalSince(wallStart) >= seconds { break }
            let next: Packet?
            do {
                next = try self.demuxer?.read()
            } catch where !paced {
                break // a live input's publisher went away: the input has ended
            }
            guard let packet = next else {
                guard loop, paced else { break }
                // Restart the file; its timestamps continue after the last pass's end.
                self.demuxer = try Demuxer(url: url, options: options)
                passStart = nil
                continue
            }
            let index = Int(packet.streamIndex)
            guard index == videoIndex || index == audioIndex else { continue }
            let timebase = index == videoIndex ? videoTimebase : audioTimebase
            let raw = packet.dts != noPTS ? packet.dts : packet.pts
            guard raw != noPTS else { continue }
            let at = timebase.rescale(raw, to: micros)
            if passStart == nil {
                passStart = at
                offset = end - at
            }
            let shift = micros.rescale(offset, to: timebase)
            if packet.pts != noPTS { packet.pts += shift }
            if packet.dts != noPTS { packet.dts += shift }
            let media = at + offset
            end = max(end, media + timebase.rescale(max(0, packet.duration), to: micros))
            if paced {
                if mediaStart == nil { mediaStart = media }
                let wait = wallStart.addingTimeInterval(Double(media - mediaStart!) / 1e6).timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: min(wait, 1)) }
            }
            if index == videoIndex {
                if let stamp = StampScanner.stamps(in: packet.bytes).first, packet.pts != noPTS {
                    if stamps.count > 256 { stamps.removeAll() }
                    stamps[packet.pts] = stamp // the source's own capture clock, carried through
                }
                guard let videoDecoder else { continue }
                for frame in try videoDecoder.decode(packet) {
                    let pts = frame.pts != noPTS ? frame.pts : packet.pts
                    let stamp = stamps.removeValue(forKey: pts) ?? WallClock.nowMicros()
                    pictures.push(RawPicture(frame: frame, pts: timebase.rescale(pts, to: micros), stampMicros: stamp))
                }
            } else if aacCopy {
                let pts = packet.pts != noPTS ? packet.pts : packet.dts
                audio.push(UplinkUnit(kind: .audio, pts: timebase.rescale(pts, to: micros), dts: media,
                                      duration: timebase.rescale(max(0, packet.duration), to: micros), isKeyframe: true,
                                      data: Array(packet.bytes)))
            } else if let aacTranscoder {
                let pts = packet.pts != noPTS ? packet.pts : packet.dts
                for frame in try aacTranscoder.transcode(packet.bytes, pts: pts) {
                    let t = timebase.rescale(frame.pts, to: micros)
                    audio.push(UplinkUnit(kind: .audio, pts: t, dts: t, duration: 1024 * 1_000_000 / Int64(max(1, aacTranscoder.sampleRate)),
                                          isKeyframe: true, data: frame.data))
                }
            }
        }
    }
}


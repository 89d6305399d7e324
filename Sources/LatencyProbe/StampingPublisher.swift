import Bitstream
import CFFmpeg
import FFmpegBridge
import Foundation
import MediaCore
import NIOCore

/// A publisher whose every video frame carries a latency stamp: an SEI user_data_unregistered
/// with Sluice's UUID and the wall clock at which the frame was "captured" (generated). Any
/// server that keeps SEI lets `LatencyReader` measure capture-to-arrival delay on the far side.
public struct StampingPublisher: Sendable {
    public var url: String
    public var width = 640
    public var height = 360
    public var fps = 30
    public var bitrate = 1_000_000
    public var gopSeconds = 1
    /// x264 preset. A benchmark that runs publisher and server on the same cores may choose a
    /// cheaper one than a real encoder would (`sluice bench latency --push-preset`); CABAC and
    /// deblocking stay on with every preset, so the stream costs a decoder what a camera's does.
    public var preset = "veryfast"
    public var seconds: Double = 30

    public init(url: String) {
        self.url = url
    }

    /// flv for RTMP, MPEG-TS for SRT and anything else.
    var format: String { url.hasPrefix("rtmp") ? "flv" : "mpegts" }

    /// Publishes in real time until `seconds` have been sent; returns the frames sent. Blocking.
    public func run(onFrame: (Int) -> Void = { _ in }) throws -> Int {
        var settings = VideoEncoderSettings(width: width, height: height, timebase: Rational(1, Int32(fps)),
                                            frameRate: Rational(Int32(fps), 1), bitrate: bitrate,
                                            maxBitrate: bitrate, bufferSize: bitrate, gopSize: fps * gopSeconds,
                                            // CABAC and the loop filter whatever the preset (ultrafast drops
                                            // both): cameras and OBS send them, so a server decodes here what
                                            // it decodes in production, only the publisher's search is cheaper.
                                            options: ["preset": preset, "tune": "zerolatency", "x264-params": "scenecut=0:cabac=1:deblock=1"])
        settings.threads = 2
        let encoder = try Encoder(video: settings)
        guard let avcC = AVCDecoderConfigurationRecord(annexB: encoder.extradata) else {
            throw FFmpegError("libx264 extradata", message: "no SPS/PPS in the encoder's global header")
        }
        let track = TrackInfo(codec: .h264, timebase: Rational(1, Int32(fps)), extradata: ByteBuffer(bytes: avcC.bytes),
                              width: width, height: height, frameRate: Rational(Int32(fps), 1), bitrate: bitrate)
        let writer = try URLWriter(url: url, format: format, tracks: [track])
        let total = Int(seconds * Double(fps))
        let start = Date()
        var stamps: [Int64: Int64] = [:] // pts -> capture wall clock
        var sent = 0
        for index in 0..<total {
            let due = start.addingTimeInterval(Double(index) / Double(fps))
            let wait = due.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            let frame = try TestPattern.frame(width: width, height: height, index: index)
            frame.pts = Int64(index)
            let now = WallClock.nowMicros()
            PixelClock.draw(millis: UInt64(max(0, now / 1000)), into: frame) // the same instant as the SEI stamp
            stamps[Int64(index)] = now
            for packet in try encoder.encode(frame) {
                try send(packet, stamps: &stamps, writer: writer)
                sent += 1
                onFrame(sent)
            }
        }
        for packet in try encoder.encode(nil) {
            try send(packet, stamps: &stamps, writer: writer)
            sent += 1
        }
        try writer.finish()
        return sent
    }

    private func send(_ packet: Packet, stamps: inout [Int64: Int64], writer: URLWriter) throws {
        var nals = NALUnits.splitAnnexB(packet.bytes)
        if let clock = stamps.removeValue(forKey: packet.pts) {
            // The SEI goes first in the access unit, before the slices it describes.
            nals.insert(LatencyStamp(wallClockMicros: clock).message.nal()[...], at: 0)
        }
        try writer.write(track: 0, pts: packet.pts, dts: packet.dts, isKeyframe: packet.isKeyframe,
                         data: ByteBuffer(bytes: NALUnits.joinLengthPrefixed(nals)))
    }
}

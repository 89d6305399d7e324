import FFmpegBridge
import Foundation
import MediaCore

/// Reads RTMP (rtmp://) or SRT (srt://, MPEG-TS) with libavformat and measures the delay from
/// each frame's stamp to the packet's arrival. Blocking: run it off the cooperative pool.
public struct StreamLatencyReader: Sendable {
    public var url: String

    public init(url: String) {
        self.url = url
    }

    public func run(seconds: Double) throws -> [Double] {
        // No probing delay: the first packets are what we measure.
        let demuxer = try Demuxer(url: url, options: ["probesize": "32768", "analyzeduration": "0", "rw_timeout": "5000000"])
        let deadline = Date().addingTimeInterval(seconds)
        var delays: [Double] = []
        while Date() < deadline, let packet = try demuxer.read() {
            let arrival = WallClock.nowMicros()
            delays += StampScanner.stamps(in: packet.bytes).map { Double(arrival - $0) / 1000 }
        }
        return delays
    }
}

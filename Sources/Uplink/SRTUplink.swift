import FFmpegBridge
import Foundation
import MediaCore
import NIOCore
import SRTTransport

/// MPEG-TS over our own libsrt caller socket: libavformat muxes into memory (as the HLS
/// segmenter does), each flush goes out as ≤1316-byte messages, and `srt_bistats` shows the
/// controller the link (RTT, send buffer, loss, retransmissions, bandwidth estimate).
public final class SRTUplink: UplinkTransport {
    public static let payloadSize = 1316 // 7 TS packets
    private let caller: SRTCaller
    private let hasAudio: Bool
    private let audioTrack: TrackInfo?
    private var muxer: Muxer?
    private var lastLost: Int64 = 0
    private var lastSent: Int64 = 0

    /// `srt://host:port?streamid=...&latency=µs&passphrase=...` (ffmpeg's query names and units).
    public init(url: String, audio: TrackInfo?) throws {
        guard let parts = URLComponents(string: url), parts.scheme?.lowercased() == "srt",
              let host = parts.host, !host.isEmpty, let port = parts.port else {
            throw UplinkError("not an srt://host:port URL: \(url)")
        }
        let query = Dictionary((parts.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        let latencyMs = query["latency"].flatMap { Int($0) }.map { max(20, $0 / 1000) } ?? 120
        caller = try SRTCaller(host: host, port: port, streamID: query["streamid"] ?? "", latencyMs: latencyMs,
                               passphrase: query["passphrase"])
        audioTrack = audio
        hasAudio = audio != nil
    }

    public func send(_ unit: UplinkUnit, idle: () -> Void) throws {
        if muxer == nil {
            // Start at a keyframe; SPS/PPS travel in band, so no extradata is needed.
            guard unit.kind == .video, unit.isKeyframe else { return }
            var tracks = [TrackInfo(codec: .h264, timebase: Rational(1, 1_000_000), width: unit.width, height: unit.height)]
            if let audioTrack { tracks.append(audioTrack) }
            muxer = try Muxer(format: "mpegts", tracks: tracks)
            try transmit(muxer!.takeOutput())
        }
        guard let muxer else { return }
        if unit.kind == .audio && !hasAudio { return }
        // Every track is in µs, as the units are; the muxer rescales to 90 kHz.
        try muxer.write(track: unit.kind == .video ? 0 : 1, pts: unit.pts, dts: unit.dts, duration: unit.duration,
                        isKeyframe: unit.isKeyframe, data: ByteBuffer(bytes: unit.data))
        try muxer.flush() // one PES per unit, now: no muxer-side delay
        try transmit(muxer.takeOutput())
    }

    private func transmit(_ bytes: ByteBuffer) throws {
        var bytes = bytes
        while bytes.readableBytes > 0 {
            let n = min(Self.payloadSize, bytes.readableBytes)
            try bytes.readWithUnsafeReadableBytes { raw in
                try caller.send(UnsafeRawBufferPointer(rebasing: raw.prefix(n)))
                return n
            }
        }
    }

    public func signals() -> TransportSignals {
        var s = TransportSignals()
        guard let stats = caller.senderStats() else { return s }
        s.rttMs = stats.rttMs
        s.queuedBytes = stats.sendBufferBytes
        // msSndBuf spans the whole buffer, including what is merely in flight (about an RTT of
        // it on an idle link): only the part not yet sent is waiting here.
        let unsent = max(0, stats.sendBufferPackets - stats.flightPackets)
        s.queuedMs = stats.sendBufferPackets > 0
            ? Double(stats.sendBufferMs) * Double(unsent) / Double(stats.sendBufferPackets) : 0
        s.sentBytesTotal = Int(stats.bytesSent)
        s.deliveryRateKbps = stats.bandwidthMbps > 0 ? stats.bandwidthMbps * 1000 : nil
        let sent = stats.packetsSent - lastSent, lost = stats.packetsLost - lastLost
        s.lossRate = sent > 0 ? min(1, Double(max(0, lost)) / Double(sent)) : 0
        lastSent = stats.packetsSent
        lastLost = stats.packetsLost
        s.retransmitsTotal = Int(stats.packetsRetransmitted)
        return s
    }

    public func finish() {
        if let muxer {
            try? muxer.finish()
            try? transmit(muxer.takeOutput())
        }
        caller.close()
    }
}

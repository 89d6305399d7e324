import Bitstream
import FFmpegBridge
import Logging
import MediaCore
import StreamHub

/// Demuxed packets → hub units on the calling thread, for every input libavformat demuxes:
/// an SRT publisher's MPEG-TS and a pulled URL (RTMP, SRT, HLS, a file). Codecs HLS players
/// cannot play are refused before the path is claimed, or (audio) transcoded to AAC; the caller
/// becomes the path's publisher only once media is readable.
enum DemuxPublish {
    /// Returns when the input ends, fails `maxErrors` times in a row, `shouldStop` says so, or
    /// a newer publisher takes the path; `claimed` is the publisher it became, which the caller ends.
    static func run(_ demuxer: Demuxer, path: StreamPath, hub: StreamHub, logger: Logger, label: String, peer: String,
                    credential: String? = nil, maxPublishers: Int = .max, maxErrors: Int = 100, shouldStop: () -> Bool = { false },
                    onEvicted: @escaping @Sendable () -> Void, onClaimed: (Publisher) -> Void = { _ in },
                    claimed: inout Publisher?) {
        var normalizer = ContainerNormalizer(streams: demuxer.streams)
        // Audio HLS players cannot play (MP2, MP3, AC-3) is re-encoded as AAC on this thread.
        var transcoders: [Int: AACTranscoder] = [:]
        for st in demuxer.streams where st.kind == .audio && TSUnitBuilder.kind(codecName: st.codecName) == .unsupported {
            guard let t = try? AACTranscoder(codecName: st.codecName, sampleRate: st.sampleRate, channels: st.channels,
                                             timebase: st.timebase) else { continue } // no decoder: dropped with a warning below
            transcoders[st.index] = t
            logger.info("\(label) audio codec \(st.codecName) is transcoded to AAC (HLS players cannot play it)", metadata: ["path": "\(path)"])
        }
        let carried = demuxer.streams.map { (index: $0.index, codecName: transcoders[$0.index] == nil ? $0.codecName : "aac",
                                             kind: $0.kind, hint: transcoders[$0.index] == nil ? $0.track : nil) }
        // A refused codec never takes the path: checked before publishing.
        if let why = TSUnitBuilder.refusal(streams: carried.map { ($0.codecName, $0.kind) }) {
            logger.error("\(label) publish refused: \(why)", metadata: ["path": "\(path)", "peer": "\(peer)"])
            return
        }
        // Media arrived: only now does this caller take the path (over a live publisher, if any).
        let publisher: Publisher
        do {
            publisher = try hub.publish(path, credential: credential, maxPublishers: maxPublishers, onEvicted: onEvicted)
        } catch {
            logger.warning("\(label) publish refused: \(error)", metadata: ["path": "\(path)", "peer": "\(peer)"])
            return
        }
        claimed = publisher
        onClaimed(publisher)
        logger.info("\(label) publish started", metadata: ["path": "\(path)", "peer": "\(peer)"])
        var builder = TSUnitBuilder(streams: carried.map { ($0.index, $0.codecName, $0.hint) })
        for index in builder.unsupportedCodecs where demuxer.streams[index].kind != nil {
            let kind = demuxer.streams[index].kind == .video ? "video" : "audio"
            logger.warning("\(label) \(kind) codec \(demuxer.streams[index].codecName) is not supported (Sluice carries H.264 or HEVC video with AAC audio); stream \(index) dropped",
                           metadata: ["path": "\(publisher.path)"])
        }
        var transcodeFailed = false
        var failures = 0
        while !shouldStop() {
            let packet: Packet?
            do {
                packet = try demuxer.read()
                failures = 0
            } catch {
                // Corrupt input: log, and keep reading unless it is all corrupt.
                failures += 1
                logger.warning("\(label) demux error: \(error)", metadata: ["path": "\(publisher.path)"])
                if failures >= maxErrors { return }
                continue
            }
            guard let packet else { return }
            let index = Int(packet.streamIndex)
            guard index < demuxer.streams.count else { continue }
            let tb = demuxer.streams[index].timebase
            var dts = packet.dts == noPTS ? packet.pts : packet.dts
            var pts = packet.pts == noPTS ? dts : packet.pts
            if pts == noPTS { continue }
            var bytes = normalizer.annexB(stream: index, Array(packet.bytes), isKeyframe: packet.isKeyframe)
            if let t = transcoders[index] {
                let frames: [(pts: Int64, data: [UInt8])]
                do {
                    frames = try t.transcode(packet.bytes, pts: pts)
                } catch {
                    // A corrupt packet costs its samples; the first such failure is logged.
                    if !transcodeFailed { logger.warning("\(label) audio transcode: \(error)", metadata: ["path": "\(publisher.path)"]) }
                    transcodeFailed = true
                    continue
                }
                guard let first = frames.first else { continue }
                bytes = TSUnitBuilder.adts(frames.map(\.data), sampleRate: t.sampleRate, channels: t.channels)
                (pts, dts) = (first.pts, first.pts)
            }
            let units: [MediaUnit]
            do {
                units = try builder.units(stream: index, bytes: bytes, pts: pts, dts: dts, timebase: tb,
                                          wallClock: WallClock.nowMicros())
            } catch {
                logger.error("\(label) publish refused: \(error)", metadata: ["path": "\(publisher.path)"])
                return
            }
            if builder.tracksChanged {
                builder.tracksChanged = false
                publisher.setTracks(builder.tracks)
                logger.info("\(label) tracks: \(builder.tracks.map { "\($0.codec.rawValue)" }.joined(separator: "+"))",
                            metadata: ["path": "\(publisher.path)"])
            }
            for unit in units {
                if !publisher.write(unit) {
                    return // taken over by a newer publisher
                }
            }
        }
    }
}

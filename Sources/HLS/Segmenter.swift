import FFmpegBridge
import MediaCore
import NIOCore

/// Cuts one rendition's units into CMAF parts through libavformat's mp4 muxer: one fragment
/// (moof+mdat) per part, flushed with `av_write_frame(ctx, NULL)`.
///
/// The driving track (video, else audio) decides the cuts. Its newest unit is held until the
/// next one gives its duration, so a part is closed before the sample that would make it longer
/// than PART-TARGET, and a segment starts exactly at a keyframe.
///
/// The other track (audio) is split by timestamp, not by arrival: a part gets the audio whose dts
/// lies before the part's presented end, so audio and video of a part start together even when
/// the audio arrives late (a transcoder's AAC runs ~50–70 ms behind its video). A closed part
/// waits until the audio has passed its end.
///
/// Not Sendable: owned by the rendition's writer lock, used on the caller's (packager) thread.
final class Segmenter {
    /// The driving track's dts jumped back by more than a second: the caller starts over
    /// after a discontinuity.
    struct TimestampsWentBack: Error {}

    let tracks: [TrackInfo]
    let initSegment: ByteBuffer
    /// Ticks per second of the emsg boxes of this rendition's parts.
    let eventTimescale: UInt32
    private let muxer: Muxer
    private let configuration: HLSConfiguration
    private let driver: Int
    private let driverKind: TrackKind
    private let driverTimebase: Rational
    private var indexOfKind: [TrackKind: Int] = [:]

    /// One sample; `duration` in its track's timebase (nil: estimated from the previous one).
    private struct Sample {
        var index: Int
        var unit: MediaUnit
        var duration: Int64?
    }

    /// A part the driver has closed, held until the other tracks have reached `end`.
    private struct ClosedPart {
        var samples: [Sample]
        /// Presented end in the driver's timebase (cut dts + video delay); other tracks' samples
        /// with a dts before it belong to this part.
        var end: Int64
        /// The driver's dts at the cut (how far the driver has gone is measured from it).
        var cut: Int64
        var duration: Double
        var independent: Bool
        var startsSegment: Bool
        var endsSegment: Bool
        var wallClock: Int64
        /// Presented start (driver timebase).
        var start: Int64
    }

    /// Longest wait, in driver media time, for late audio before a part goes out without it
    /// (an audio track that stopped must not stall the rendition).
    private static let maxAudioWait = 1.0
    /// Audio kept before the first keyframe (it may belong to the first part).
    private static let maxEarlyAudio = 256
    /// Audio queued for parts the video has not closed yet (~20 s of AAC); older goes first.
    private static let maxQueuedAudio = 1024

    private var pending: MediaUnit?
    private var pendingOther: [Int: MediaUnit] = [:]
    private let others: [Int]
    /// Samples of the other tracks with known durations, not yet muxed (dts order per track).
    private var ready: [Int: [Sample]] = [:]
    private var open: [Sample] = []
    private var closed: [ClosedPart] = []
    private var newestDriverDTS: Int64 = 0
    /// Tracks whose wait timed out: not waited for again until they deliver a unit.
    private var silent: Set<Int> = []
    /// pts − dts of the first keyframe: negative_cts_offsets shifts video by it, so tfdt is
    /// the presentation time and audio is cut at the same instant.
    private var videoDelay: Int64 = 0
    /// Presentation time of the first keyframe (driver timebase): audio before it is dropped.
    private var mediaStart: Int64 = .min
    private var lastDelta: [Int: Int64] = [:]
    private var lastDTS: [Int: Int64] = [:]
    private var partStart: Int64 = 0
    private var segmentStart: Int64 = 0
    private var partWallClock: Int64 = 0
    private var partIndependent = false
    private var partStartsSegment = true
    private var partVideoSamples = 0
    /// Bytes of the open part's driver samples, of the open segment, and its parts so far.
    private var partBytes = 0
    private var segmentBytes = 0
    private var segmentParts = 0
    private var started = false
    /// Legacy MPEG-TS muxer of the open segment (a fresh one per segment, so each starts with
    /// PAT/PMT); nil when legacy output is off.
    private var ts: Muxer?
    private var tsBytes = ByteBuffer()

    init(tracks: [TrackInfo], configuration: HLSConfiguration) throws {
        guard !tracks.isEmpty else { throw FFmpegError("hls segmenter", message: "a rendition needs a track") }
        // Audio is muxed in 1/sample-rate, the mp4 muxer's own timescale for it: rescaling dts
        // and durations separately (90 kHz → 44.1 kHz) let their sums drift a tick apart, and
        // the muxer then warned "Packet duration: -1" and dropped the sample's pts.
        self.tracks = tracks.map { t in
            var t = t
            if t.kind == .audio, t.sampleRate > 0, let rate = Int32(exactly: t.sampleRate) { t.timebase = Rational(1, rate) }
            return t
        }
        self.configuration = configuration
        let tracks = self.tracks
        for (i, t) in tracks.enumerated() where indexOfKind[t.kind] == nil { indexOfKind[t.kind] = i }
        driver = indexOfKind[.video] ?? 0
        driverKind = tracks[driver].kind
        driverTimebase = tracks[driver].timebase
        let driver = driver
        others = indexOfKind.values.filter { $0 != driver }.sorted()
        // frag_custom: we say where fragments end. empty_moov: the init segment stands alone.
        // default_base_moof: CMAF's addressing. frag_discont: tfdt keeps the source timeline, so
        // renditions cut from the same source line up. negative_cts_offsets: with B-frames the
        // video tfdt is the IDR's pts, not its dts (players take tfdt as the start; with dts
        // the first frame shows a B-frame delay later, a hole at every join).
        muxer = try Muxer(format: "mp4", tracks: tracks, options: [
            "movflags": "frag_custom+empty_moov+default_base_moof+frag_discont+skip_trailer+negative_cts_offsets",
            "strict": "experimental",
            // Not "make_zero" (the empty_moov default): that shifts every rendition to start at 0.
            "avoid_negative_ts": "make_non_negative",
            // An empty moov cannot carry a meaningful edit list; tfdt + composition offsets say it all.
            "use_editlist": "0",
        ])
        initSegment = muxer.takeOutput()
        // emsg times are written in the video track's own timescale (what the muxer chose for mdhd).
        let fallback = driverTimebase.num == 1 ? UInt32(clamping: driverTimebase.den) : 90_000
        eventTimescale = (try? MP4BoxReader.videoTimescale(initSegment: Array(initSegment.readableBytesView)[...])) ?? fallback
        if configuration.legacyTS { try openTS() }
    }

    private func openTS() throws {
        let m = try Muxer(format: "mpegts", tracks: tracks)
        tsBytes = m.takeOutput()
        ts = m
    }

    /// Ends the open TS segment and returns it.
    private func closeTS() throws -> ByteBuffer? {
        guard let m = ts else { return nil }
        try m.flush()
        try m.finish()
        var out = tsBytes
        var rest = m.takeOutput()
        out.writeBuffer(&rest)
        ts = nil
        return out
    }

    private func ticks(_ seconds: Double) -> Int64 {
        Int64((seconds * Double(driverTimebase.den) / Double(driverTimebase.num)).rounded(.down))
    }

    private func seconds(_ ticks: Int64) -> Double { Double(ticks) * driverTimebase.seconds }

    private func driverTicks(_ unit: MediaUnit) -> Int64 { unit.timebase.rescale(unit.dts, to: driverTimebase) }

    /// Feeds one unit; returns the parts it completed (usually none or one).
    func write(_ unit: MediaUnit) throws -> [CutPart] {
        guard let index = indexOfKind[unit.track] else { return [] }
        if index != driver {
            // Audio beside video: held one unit like the driver (its duration is the next dts
            // minus its own), then queued until the part its dts falls in is muxed.
            if started && driverTicks(unit) < mediaStart { return [] }
            if let held = pendingOther[index] {
                let delta = unit.timebase.rescale(unit.dts, to: tracks[index].timebase) - held.timebase.rescale(held.dts, to: tracks[index].timebase)
                if delta <= 0 { return [] }
                ready[index, default: []].append(Sample(index: index, unit: held, duration: delta))
                // Bounded: before the first keyframe, and while video stalls but audio flows.
                if ready[index]!.count > (started ? Self.maxQueuedAudio : Self.maxEarlyAudio) { ready[index]!.removeFirst() }
            }
            pendingOther[index] = unit
            silent.remove(index)
            return started ? try drain() : []
        }
        let t = driverTicks(unit)
        guard started, let held = pending else {
            if driverKind == .video && !unit.isKeyframe { return [] }
            started = true
            pending = unit
            partBytes = 0
            segmentBytes = 0
            segmentParts = 0
            partStart = t
            segmentStart = t
            newestDriverDTS = t
            partWallClock = unit.ingestWallClock
            partIndependent = true
            partStartsSegment = true
            if driverKind == .video { videoDelay = max(0, unit.timebase.rescale(unit.pts, to: driverTimebase) - t) }
            // Audio presented before the first keyframe is dropped (a segment starts at it).
            mediaStart = t + videoDelay
            for i in others {
                ready[i]?.removeAll { driverTicks($0.unit) < mediaStart }
                if let h = pendingOther[i], driverTicks(h) < mediaStart { pendingOther[i] = nil }
            }
            return []
        }
        let delta = t - driverTicks(held)
        if delta < -ticks(1) { throw TimestampsWentBack() } // the source restarted its clock
        if delta <= 0 { return [] } // non-monotonic dts: the muxer would refuse it
        open.append(Sample(index: index, unit: held, duration: delta))
        partBytes += held.data.readableBytes
        lastDelta[index] = delta
        newestDriverDTS = t
        let frame = delta
        let segmentAge = seconds(t - segmentStart)
        let keyframe = driverKind == .audio || unit.isKeyframe
        var startSegment = keyframe && segmentAge >= configuration.segmentMinimum
        // A GOP longer than the target duration: cut anyway so EXTINF stays within it.
        if !startSegment && seconds(t + frame - segmentStart) >= Double(configuration.targetDuration) + 0.5 {
            startSegment = true
        }
        // Timestamps that barely advance (or huge frames) must not grow a part or segment without bound.
        let partFull = open.count >= configuration.maxPartSamples
            || partBytes + unit.data.readableBytes > configuration.maxPartBytes
        if partFull && (segmentParts + 1 >= configuration.maxSegmentParts
                        || segmentBytes + partBytes >= configuration.maxSegmentBytes) {
            startSegment = true
        }
        if startSegment || partFull || t + frame - partStart > ticks(configuration.partTarget) {
            closeOpenPart(cut: t, duration: seconds(t - partStart), endsSegment: startSegment)
            segmentBytes = startSegment ? 0 : segmentBytes + partBytes
            segmentParts = startSegment ? 0 : segmentParts + 1
            partBytes = 0
            partStart = t
            partWallClock = unit.ingestWallClock
            partIndependent = keyframe
            partStartsSegment = startSegment
            if startSegment { segmentStart = t }
        }
        pending = unit
        return try drain()
    }

    private func closeOpenPart(cut: Int64, duration: Double, endsSegment: Bool) {
        closed.append(ClosedPart(samples: open, end: cut + videoDelay, cut: cut, duration: duration,
                                 independent: partIndependent, startsSegment: partStartsSegment,
                                 endsSegment: endsSegment, wallClock: partWallClock, start: partStart + videoDelay))
        open = []
    }

    /// Muxes the closed parts whose audio is complete: every other track has a sample at or
    /// past the part's end (dts rise, so nothing earlier can still come).
    private func drain() throws -> [CutPart] {
        var out: [CutPart] = []
        while let part = closed.first {
            let late = others.filter { i in !silent.contains(i) && !(pendingOther[i].map { driverTicks($0) >= part.end } ?? false) }
            if !late.isEmpty {
                // Waiting is bounded in media time and, for timestamps that stall, in parts.
                if newestDriverDTS - part.cut < ticks(Self.maxAudioWait) && closed.count <= configuration.maxWaitingParts { break }
                silent.formUnion(late)
            }
            closed.removeFirst()
            out.append(try mux(part))
        }
        return out
    }

    /// Writes a part's samples (driver and audio before its end, in dts order) and cuts the fragment.
    private func mux(_ part: ClosedPart) throws -> CutPart {
        var samples = part.samples
        for i in others {
            guard let queue = ready[i] else { continue }
            let n = queue.firstIndex { driverTicks($0.unit) >= part.end } ?? queue.count
            samples += queue[..<n]
            ready[i]!.removeFirst(n)
        }
        samples.sort { $0.unit.dtsSeconds < $1.unit.dtsSeconds }
        for sample in samples { try writeSample(sample.index, sample.unit, duration: sample.duration) }
        try muxer.flush()
        var cut = CutPart(data: muxer.takeOutput(), duration: part.duration, independent: part.independent,
                          startsSegment: part.startsSegment, wallClock: part.wallClock, videoSamples: partVideoSamples,
                          endsSegment: part.endsSegment)
        partVideoSamples = 0
        cut.start = seconds(part.start)
        cut.end = part.end == .max ? seconds(part.cut + videoDelay) : seconds(part.end)
        if part.endsSegment && configuration.legacyTS {
            cut.legacySegment = try closeTS()
            try openTS()
        }
        return cut
    }

    /// Muxes everything held and closes the last part (end of stream or discontinuity).
    func finish() throws -> [CutPart] {
        guard started, let held = pending else { return [] }
        let frame = lastDelta[driver] ?? ticks(configuration.partTarget / 8)
        open.append(Sample(index: driver, unit: held, duration: frame))
        pending = nil
        for i in others {
            if let unit = pendingOther[i] { ready[i, default: []].append(Sample(index: i, unit: unit, duration: nil)) }
        }
        pendingOther.removeAll()
        started = false
        let t = driverTicks(held) + frame
        closeOpenPart(cut: t, duration: seconds(t - partStart), endsSegment: false)
        closed[closed.count - 1].end = .max // the last part takes all remaining audio
        var out: [CutPart] = []
        for part in closed { out.append(try mux(part)) }
        closed = []
        out[out.count - 1].legacySegment = try closeTS()
        out[out.count - 1].endsSegment = true
        return out
    }

    /// `duration` is in the track's timebase; nil estimates it from the previous sample.
    private func writeSample(_ index: Int, _ unit: MediaUnit, duration: Int64?) throws {
        let timebase = tracks[index].timebase
        let dts = unit.timebase.rescale(unit.dts, to: timebase)
        let pts = unit.timebase.rescale(unit.pts, to: timebase)
        if let last = lastDTS[index], dts <= last { return } // the muxer refuses non-monotonic dts
        let d = duration
        if let d, d > 0 { lastDelta[index] = d }
        lastDTS[index] = dts
        if tracks[index].kind == .video { partVideoSamples += 1 }
        try muxer.write(track: index, pts: pts, dts: dts, duration: d ?? lastDelta[index] ?? 0,
                        isKeyframe: unit.isKeyframe, data: unit.data)
        if let ts {
            try ts.write(track: index, pts: pts, dts: dts, duration: d ?? lastDelta[index] ?? 0,
                         isKeyframe: unit.isKeyframe, data: unit.data)
            var out = ts.takeOutput()
            tsBytes.writeBuffer(&out)
        }
    }
}

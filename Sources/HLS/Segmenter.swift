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
/// Not Sendable: owned by the rendition's writer lock, used on the caller's (packager) thread.
final class Segmenter {
    /// The driving track's dts jumped back by more than a second: the caller starts over
    /// after a discontinuity.
    struct TimestampsWentBack: Error {}

    let tracks: [TrackInfo]
    let initSegment: ByteBuffer
    private let muxer: Muxer
    private let configuration: HLSConfiguration
    private let driver: Int
    private let driverKind: TrackKind
    private let driverTimebase: Rational
    private var indexOfKind: [TrackKind: Int] = [:]

    private var pending: MediaUnit?
    private var pendingOther: [Int: MediaUnit] = [:]
    private var lastDelta: [Int: Int64] = [:]
    private var lastDTS: [Int: Int64] = [:]
    private var partStart: Int64 = 0
    private var segmentStart: Int64 = 0
    private var partWallClock: Int64 = 0
    private var partIndependent = false
    private var partStartsSegment = true
    private var partVideoSamples = 0
    private var started = false
    /// Legacy MPEG-TS muxer of the open segment (a fresh one per segment, so each starts with
    /// PAT/PMT); nil when legacy output is off.
    private var ts: Muxer?
    private var tsBytes = ByteBuffer()

    init(tracks: [TrackInfo], configuration: HLSConfiguration) throws {
        guard !tracks.isEmpty else { throw FFmpegError("hls segmenter", message: "a rendition needs a track") }
        self.tracks = tracks
        self.configuration = configuration
        for (i, t) in tracks.enumerated() where indexOfKind[t.kind] == nil { indexOfKind[t.kind] = i }
        driver = indexOfKind[.video] ?? 0
        driverKind = tracks[driver].kind
        driverTimebase = tracks[driver].timebase
        // frag_custom: we say where fragments end. empty_moov: the init segment stands alone.
        // default_base_moof: CMAF's addressing. frag_discont: tfdt keeps the source timeline, so
        // renditions cut from the same source line up.
        muxer = try Muxer(format: "mp4", tracks: tracks, options: [
            "movflags": "frag_custom+empty_moov+default_base_moof+frag_discont+skip_trailer",
            "strict": "experimental",
            // Not "make_zero" (the empty_moov default): that shifts every rendition to start at 0.
            "avoid_negative_ts": "make_non_negative",
            // An empty moov cannot carry a meaningful edit list; tfdt + composition offsets say it all.
            "use_editlist": "0",
        ])
        initSegment = muxer.takeOutput()
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

    /// Feeds one unit; returns the part it completed, if any.
    func write(_ unit: MediaUnit) throws -> CutPart? {
        guard let index = indexOfKind[unit.track] else { return nil }
        if index != driver {
            // Audio beside video: held one unit like the driver (its duration is the next dts
            // minus its own); what precedes the first keyframe is dropped.
            guard started else { return nil }
            if let held = pendingOther[index] {
                let delta = unit.timebase.rescale(unit.dts, to: tracks[index].timebase) - held.timebase.rescale(held.dts, to: tracks[index].timebase)
                if delta <= 0 { return nil }
                try writeSample(index, held, duration: delta)
            }
            pendingOther[index] = unit
            return nil
        }
        let t = unit.timebase.rescale(unit.dts, to: driverTimebase)
        guard started, let held = pending else {
            if driverKind == .video && !unit.isKeyframe { return nil }
            started = true
            pending = unit
            partStart = t
            segmentStart = t
            partWallClock = unit.ingestWallClock
            partIndependent = true
            partStartsSegment = true
            return nil
        }
        let delta = t - held.timebase.rescale(held.dts, to: driverTimebase)
        if delta < -ticks(1) { throw TimestampsWentBack() } // the source restarted its clock
        if delta <= 0 { return nil } // non-monotonic dts: the muxer would refuse it
        try writeSample(index, held, duration: delta)
        let frame = lastDelta[index] ?? 0
        let segmentAge = seconds(t - segmentStart)
        let keyframe = driverKind == .audio || unit.isKeyframe
        var startSegment = keyframe && segmentAge >= configuration.segmentMinimum
        // A GOP longer than the target duration: cut anyway so EXTINF stays within it.
        if !startSegment && seconds(t + frame - segmentStart) >= Double(configuration.targetDuration) + 0.5 {
            startSegment = true
        }
        var cut: CutPart? = nil
        if startSegment || t + frame - partStart > ticks(configuration.partTarget) {
            cut = try cutPart(end: t)
            if startSegment && configuration.legacyTS {
                cut?.legacySegment = try closeTS()
                try openTS()
            }
            partStart = t
            partWallClock = unit.ingestWallClock
            partIndependent = keyframe
            partStartsSegment = startSegment
            if startSegment { segmentStart = t }
        }
        pending = unit
        return cut
    }

    /// Writes the held sample and closes the last part (end of stream or discontinuity).
    func finish() throws -> CutPart? {
        guard started, let held = pending else { return nil }
        let frame = lastDelta[driver] ?? ticks(configuration.partTarget / 8)
        try writeSample(driver, held, duration: frame)
        pending = nil
        for (index, unit) in pendingOther { try writeSample(index, unit, duration: nil) }
        pendingOther.removeAll()
        started = false
        var last = try cutPart(end: held.timebase.rescale(held.dts, to: driverTimebase) + frame)
        last.legacySegment = try closeTS()
        return last
    }

    private func cutPart(end: Int64) throws -> CutPart {
        try muxer.flush()
        let part = CutPart(data: muxer.takeOutput(), duration: seconds(end - partStart), independent: partIndependent,
                           startsSegment: partStartsSegment, wallClock: partWallClock, videoSamples: partVideoSamples)
        partVideoSamples = 0
        return part
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

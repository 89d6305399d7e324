import Foundation
import Logging
import MediaCore
import NIOCore

/// The disk thread's state: the open recordings and what each rendition has written. Only the
/// disk thread touches it.
struct RecordingDiskWriter {
    let settings: RecordingSettings
    let logger: Logger
    private var open: [Int: OpenRecording] = [:]

    struct RenditionState {
        var segments: [RecordedSegment] = []
        var initCount = 0
        var lastInit: ByteBuffer?
        /// The next segment gets EXT-X-DISCONTINUITY (continued after a restart, or a gap).
        var pendingDiscontinuity = false
        var tracks: [TrackInfo] = []
        var bytes: Int64 = 0
        var peakBitsPerSecond = 0.0
        var videoFrames = 0
        var isSource = false
    }

    struct OpenRecording {
        var path: String
        var id: String
        var directory: String
        var renditions: [String: RenditionState] = [:]
        /// Variant lines of an earlier run, kept until the rendition writes again.
        var earlierVariants: [String: String] = [:]
        var failed: String?
    }

    init(settings: RecordingSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    mutating func handle(_ job: RecordingJob, report: (Int, RecordingStatus) -> Void) {
        switch job {
        case .begin(let key, let path):
            let rec = begin(path: path)
            open[key] = rec
            report(key, status(rec))
        case .segment(let key, let segment, let gap):
            guard var rec = open[key], rec.failed == nil else { return }
            if !settings.renditions.isEmpty && !settings.renditions.contains(segment.rendition) { return }
            do {
                try write(segment, gap: gap, into: &rec)
            } catch {
                rec.failed = "\(error)"
                logger.error("recording \(rec.path) stopped: \(error); live HLS continues",
                             metadata: ["path": "\(rec.path)", "recording": "\(rec.id)"])
            }
            open[key] = rec
            report(key, status(rec))
        case .finish(let key):
            guard let rec = open.removeValue(forKey: key) else { return }
            finish(rec)
            report(key, status(rec, finished: true))
        case .retention:
            RecordingRetention.prune(settings: settings, active: Set(open.values.map(\.directory)), logger: logger)
        }
    }

    private func status(_ rec: OpenRecording, finished: Bool = false) -> RecordingStatus {
        let renditions = rec.renditions.keys.sorted()
        let duration = rec.renditions.values.map { $0.segments.reduce(0) { $0 + $1.duration } }.max() ?? 0
        let state: RecordingStatus.State = rec.failed != nil ? .failed : finished ? .finished : .recording
        return RecordingStatus(path: rec.path, id: rec.id, state: state, renditions: renditions,
                               segments: rec.renditions.values.reduce(0) { $0 + $1.segments.count },
                               bytes: rec.renditions.values.reduce(0) { $0 + $1.bytes }, durationSeconds: duration, error: rec.failed)
    }

    /// A new recording, or the newest unfinished one of `path` if it is recent enough.
    private func begin(path: String) -> OpenRecording {
        let base = settings.directory + "/" + path
        let fm = FileManager.default
        let ids = ((try? fm.contentsOfDirectory(atPath: base)) ?? []).filter(RecordingID.isID).sorted()
        if let newest = ids.last {
            var rec = OpenRecording(path: path, id: newest, directory: base + "/" + newest)
            let names = ((try? fm.contentsOfDirectory(atPath: rec.directory)) ?? []).filter { RecordingID.isSafeComponent($0) && $0 != "index.m3u8" }
            var unfinished = false
            var newestWrite = Date.distantPast
            for name in names {
                let playlist = rec.directory + "/" + name + "/index.m3u8"
                guard let text = RecordingDisk.read(playlist), let parsed = RecordingPlaylist.parse(text) else { continue }
                if !parsed.finished { unfinished = true }
                if let m = (try? fm.attributesOfItem(atPath: playlist))?[.modificationDate] as? Date { newestWrite = max(newestWrite, m) }
                var r = RenditionState()
                r.segments = parsed.segments
                r.initCount = (parsed.segments.map(\.initIndex).max() ?? -1) + 1
                r.pendingDiscontinuity = true
                r.bytes = Self.size(of: rec.directory + "/" + name)
                rec.renditions[name] = r
            }
            if unfinished {
                rec.earlierVariants = Self.variants(RecordingDisk.read(rec.directory + "/index.m3u8") ?? "")
                removeTemporaries(rec.directory, renditions: Array(rec.renditions.keys))
                if Date().timeIntervalSince(newestWrite) <= settings.resumeWindowSeconds {
                    logger.notice("recording \(path) continues \(newest) after a restart (EXT-X-DISCONTINUITY)")
                    return rec
                }
                logger.notice("recording \(path): closing \(newest), unfinished and older than the resume window")
                finish(rec)
            }
        }
        var start = Date()
        var id = RecordingID.make(start)
        while ids.contains(id) || fm.fileExists(atPath: base + "/" + id) {
            start += 1
            id = RecordingID.make(start)
        }
        logger.info("recording \(path) to \(base)/\(id)")
        return OpenRecording(path: path, id: id, directory: base + "/" + id)
    }

    private func removeTemporaries(_ directory: String, renditions: [String]) {
        for dir in [directory] + renditions.map({ directory + "/" + $0 }) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasSuffix(".tmp") {
                try? FileManager.default.removeItem(atPath: dir + "/" + name)
            }
        }
    }

    private func write(_ completed: CompletedSegment, gap: Bool, into rec: inout OpenRecording) throws {
        let name = completed.rendition
        guard RecordingID.isSafeComponent(name) else { return }
        let dir = rec.directory + "/" + name
        var r = rec.renditions[name] ?? RenditionState()
        let isNew = r.tracks.isEmpty
        if r.segments.isEmpty && r.initCount == 0 { try RecordingDisk.makeDirectories(dir) }
        if r.lastInit != completed.initData {
            try RecordingDisk.writeAtomically(dir + "/init-\(r.initCount).mp4", [completed.initData])
            r.bytes += Int64(completed.initData.readableBytes)
            r.lastInit = completed.initData
            r.initCount += 1
        }
        let seg = completed.segment
        var recorded = RecordedSegment(msn: (r.segments.last?.msn ?? -1) + 1, duration: seg.duration,
                                       programDateTime: seg.programDateTime,
                                       discontinuity: !r.segments.isEmpty && (seg.discontinuity || gap || r.pendingDiscontinuity),
                                       initIndex: r.initCount - 1)
        // The events whose emsg this segment's parts carry, dated as the live playlist dates them,
        // so the replay shows them at the same moment.
        recorded.extraTags = seg.parts.flatMap(\.events).map {
            MediaPlaylist.dateRange($0, segment: seg).trimmingCharacters(in: .newlines)
        }
        try RecordingDisk.writeAtomically(dir + "/seg-\(recorded.msn).m4s", seg.parts.map(\.data))
        r.pendingDiscontinuity = false
        r.segments.append(recorded)
        r.bytes += Int64(seg.byteCount)
        if seg.duration > 0 { r.peakBitsPerSecond = max(r.peakBitsPerSecond, Double(seg.byteCount * 8) / seg.duration) }
        r.videoFrames += seg.videoSamples
        r.tracks = completed.tracks
        r.isSource = name == "source"
        rec.renditions[name] = r
        // The playlist names only segments already on disk: rewritten after each one.
        try RecordingDisk.writeAtomically(dir + "/index.m3u8",
                                          text: RecordingPlaylist.render(r.segments, finished: false, targetDuration: settings.targetDuration))
        if isNew {
            rec.earlierVariants[name] = nil
            try writeMultivariant(rec)
        }
        RecordingDisk.syncDirectory(dir)
    }

    private func writeMultivariant(_ rec: OpenRecording) throws {
        try RecordingDisk.makeDirectories(rec.directory)
        var text = MultivariantPlaylist.render(Self.infos(rec))
        for (_, line) in rec.earlierVariants.sorted(by: { $0.key < $1.key }) { text += line }
        try RecordingDisk.writeAtomically(rec.directory + "/index.m3u8", text: text)
    }

    /// ENDLIST on every rendition; errors are logged (the recording stays readable as EVENT).
    private func finish(_ rec: OpenRecording) {
        do {
            for (name, r) in rec.renditions where !r.segments.isEmpty {
                try RecordingDisk.writeAtomically(rec.directory + "/\(name)/index.m3u8",
                                                  text: RecordingPlaylist.render(r.segments, finished: true, targetDuration: settings.targetDuration))
            }
            if rec.renditions.values.contains(where: { !$0.tracks.isEmpty }) { try writeMultivariant(rec) }
            RecordingDisk.syncDirectory(rec.directory)
            logger.info("recording \(rec.path) finished: \(rec.directory)")
        } catch {
            logger.error("recording \(rec.path): cannot finish \(rec.directory): \(error)")
        }
    }

    /// Multivariant entries from what each rendition recorded (rates measured on disk).
    private static func infos(_ rec: OpenRecording) -> [RenditionInfo] {
        rec.renditions.filter { !$0.value.tracks.isEmpty }.sorted { a, b in
            // The source first, then by bitrate, highest first (like the live playlist).
            if a.value.isSource != b.value.isSource { return a.value.isSource }
            return a.value.peakBitsPerSecond > b.value.peakBitsPerSecond
        }.map { name, r in
            let seconds = r.segments.reduce(0) { $0 + $1.duration }
            let average = seconds > 0 ? Int(Double(r.bytes * 8) / seconds) : 0
            var rate: Double?
            if let fr = r.tracks.first(where: { $0.kind == .video })?.frameRate, fr.num > 0, fr.den > 0 {
                rate = Double(fr.num) / Double(fr.den)
            } else if seconds > 0, r.videoFrames > 0 {
                rate = Double(r.videoFrames) / seconds
            }
            return RenditionInfo(name: name, tracks: r.tracks, isSource: r.isSource,
                                 peakBandwidth: max(Int(r.peakBitsPerSecond), average), averageBandwidth: average, frameRate: rate)
        }
    }

    /// `EXT-X-STREAM-INF` + URI pairs of a multivariant playlist, by rendition name.
    static func variants(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var pending: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#EXT-X-STREAM-INF:") { pending = String(line); continue }
            if let p = pending, line.hasSuffix("/index.m3u8") {
                let name = String(line.dropLast(11))
                if RecordingID.isSafeComponent(name) { out[name] = p + "\n" + line + "\n" }
            }
            pending = nil
        }
        return out
    }

    static func size(of directory: String) -> Int64 {
        let fm = FileManager.default
        var total: Int64 = 0
        guard let e = fm.enumerator(atPath: directory) else { return 0 }
        while let name = e.nextObject() as? String {
            if let s = (try? fm.attributesOfItem(atPath: directory + "/" + name))?[.size] as? NSNumber,
               (e.fileAttributes?[.type] as? FileAttributeType) != .typeDirectory {
                total += s.int64Value
            }
        }
        return total
    }
}

import NIOCore

/// What one rendition has published: init segments, segments and parts, and which of them a
/// playlist lists. Pure state (no clock, no locks, no muxer), so every playlist rule is tested
/// on it directly.
public struct RenditionTimeline: Sendable {
    public let configuration: HLSConfiguration
    /// Stored segments, oldest first: the playlist's, then nothing older than the retention.
    public private(set) var segments: [Segment] = []
    public private(set) var inits: [Int: ByteBuffer] = [:]
    public private(set) var currentInit = -1
    public private(set) var nextMSN = 0
    public private(set) var nextPartID = 0
    public private(set) var ended = false
    private var pendingDiscontinuity = false
    /// Discontinuities in segments already evicted from memory.
    private var evictedDiscontinuities = 0

    public init(configuration: HLSConfiguration) {
        self.configuration = configuration
    }

    /// The newest part: its segment's media sequence number and its index in that segment.
    public var latest: (msn: Int, part: Int)? {
        guard let last = segments.last, !last.parts.isEmpty else { return nil }
        return (last.msn, last.parts.count - 1)
    }

    /// Media sequence number of the newest segment (open or complete), -1 before any.
    public var lastMSN: Int { segments.last?.msn ?? nextMSN - 1 }

    public var hasParts: Bool { latest != nil }

    /// Registers a new init segment (new codec parameters or a new publisher); later segments use it.
    @discardableResult
    public mutating func addInit(_ data: ByteBuffer) -> Int {
        currentInit += 1
        inits[currentInit] = data
        return currentInit
    }

    /// The next segment starts after a discontinuity (publisher reconnect: timestamps restart).
    public mutating func markDiscontinuity() {
        closeSegment()
        if !segments.isEmpty || evictedDiscontinuities > 0 || nextMSN > 0 { pendingDiscontinuity = true }
    }

    /// Closes the open segment, if any: it becomes a full segment (EXTINF).
    public mutating func closeSegment() {
        guard let i = segments.indices.last, !segments[i].complete else { return }
        if segments[i].parts.isEmpty {
            segments.removeLast()
            nextMSN -= 1
        } else {
            segments[i].complete = true
        }
    }

    /// Publishes a part (opening a new segment when the part starts one). Returns the part.
    @discardableResult
    public mutating func add(_ cut: CutPart) -> Part {
        precondition(!ended, "part after end")
        if cut.startsSegment || segments.last.map({ $0.complete }) ?? true {
            closeSegment()
            segments.append(Segment(msn: nextMSN, discontinuity: pendingDiscontinuity,
                                    programDateTime: cut.wallClock, initID: currentInit))
            pendingDiscontinuity = false
            nextMSN += 1
        }
        let i = segments.count - 1
        let part = Part(id: nextPartID, msn: segments[i].msn, index: segments[i].parts.count,
                        duration: cut.duration, independent: cut.independent, data: cut.data,
                        start: cut.start, events: cut.events)
        nextPartID += 1
        segments[i].parts.append(part)
        segments[i].videoSamples += cut.videoSamples
        if let ts = cut.legacySegment { segments[i].legacy = ts }
        // The last part and the segment's EXTINF appear in the same playlist version: a short
        // last part listed alone would read as a non-final part below 85 % of PART-TARGET.
        if cut.endsSegment { segments[i].complete = true }
        evict()
        return part
    }

    public mutating func end() {
        closeSegment()
        ended = true
    }

    /// Index in `segments` of the first segment the playlist lists: the newest segments that
    /// cover the playlist window.
    public var playlistStart: Int {
        var total = 0.0
        var i = segments.count
        while i > 0 && total < configuration.playlistWindow {
            i -= 1
            total += segments[i].duration
        }
        return i
    }

    /// Segments that left the playlist stay downloadable for the retention time, then go. Bytes
    /// and count are bounded too (media time alone keeps everything when timestamps stall); the
    /// newest segment always stays.
    private mutating func evict() {
        var kept = 0.0
        var bytes = 0
        var i = segments.count
        let limit = configuration.playlistWindow + configuration.retention
        while i > 0 && kept < limit {
            let size = segments[i - 1].byteCount + (segments[i - 1].legacy?.readableBytes ?? 0)
            if i < segments.count && (bytes + size > configuration.maxRetainedBytes
                                      || segments.count - i >= configuration.maxRetainedSegments) { break }
            i -= 1
            kept += segments[i].duration
            bytes += size
        }
        if i > 0 {
            evictedDiscontinuities += segments[..<i].filter(\.discontinuity).count
            segments.removeFirst(i)
            // Init segments no stored segment needs go too.
            let needed = Set(segments.map(\.initID)).union([currentInit])
            for id in inits.keys where !needed.contains(id) { inits[id] = nil }
        }
    }

    /// Bytes of media held (parts; a complete segment is served from its parts).
    public var retainedBytes: Int { segments.reduce(0) { $0 + $1.byteCount } }

    /// EXT-X-DISCONTINUITY-SEQUENCE for a playlist starting at `segments[start]`.
    public func discontinuitySequence(start: Int) -> Int {
        evictedDiscontinuities + segments[..<start].filter(\.discontinuity).count
    }

    /// A complete segment still in memory.
    public func segment(msn: Int) -> Segment? {
        guard let first = segments.first, msn >= first.msn, msn - first.msn < segments.count else { return nil }
        let s = segments[msn - first.msn]
        return s.complete ? s : nil
    }

    /// A complete segment's MPEG-TS form, if legacy output is on.
    public func legacySegment(msn: Int) -> ByteBuffer? {
        segment(msn: msn)?.legacy
    }

    /// A published part still in memory.
    public func part(id: Int) -> Part? {
        for s in segments.reversed() {
            guard let first = s.parts.first else { continue }
            if id >= first.id { return id - first.id < s.parts.count ? s.parts[id - first.id] : nil }
        }
        return nil
    }
}

/// Which segments of a listing a clip needs, and where in them it starts and ends. Pure.
///
/// Segment starts come from EXT-X-PROGRAM-DATE-TIME (or the previous start plus its duration);
/// inside the selection the media durations count, so a publisher's clock jitter does not move
/// the cut.
public struct ClipPlan: Sendable, Equatable {
    /// Indices into the listing's segments.
    public var segments: Range<Int>
    /// Seconds after the first selected segment's start.
    public var from: Double
    public var to: Double
    /// Wall clock (µs) of the first selected segment, when the source has one.
    public var firstSegmentWallClock: Int64?

    public init(segments: Range<Int>, from: Double, to: Double, firstSegmentWallClock: Int64?) {
        self.segments = segments
        self.from = from
        self.to = to
        self.firstSegmentWallClock = firstSegmentWallClock
    }

    /// Why `from`/`to` are refused whatever the source holds (both of one kind: order, span); nil
    /// when they may be cut or the source must decide.
    public static func refusal(from: ClipTime, to: ClipTime, maxSpan: Double) -> String? {
        let a: Double, b: Double
        switch (from, to) {
        case (.wallClock(let x), .wallClock(let y)): (a, b) = (Double(x) / 1e6, Double(y) / 1e6)
        case (.programTime(let x), .programTime(let y)) where (x < 0) == (y < 0): (a, b) = (x, y)
        default: return nil
        }
        if a >= b { return "from must be before to" }
        if b - a > maxSpan { return "the clip would last \(Int((b - a).rounded())) s; at most \(Int(maxSpan)) s" }
        return nil
    }

    public static func make(_ listing: ClipListing, from: ClipTime, to: ClipTime, maxSpan: Double) throws -> ClipPlan {
        let segs = listing.segments
        guard !segs.isEmpty else { throw ClipError(.notAvailable, "the source has no complete segment yet") }
        // Start of each segment in seconds: wall clock where known, else the previous end.
        let hasClock = segs[0].programDateTime != nil
        var starts: [Double] = []
        for (i, s) in segs.enumerated() {
            if let pdt = s.programDateTime {
                starts.append(Double(pdt) / 1e6)
            } else {
                starts.append(i == 0 ? 0 : starts[i - 1] + max(0, segs[i - 1].duration))
            }
        }
        let first = starts[0], end = starts[segs.count - 1] + max(0, segs[segs.count - 1].duration)
        func position(_ t: ClipTime) throws -> Double {
            switch t {
            case .wallClock(let micros):
                guard hasClock else { throw ClipError(.malformed, "the source has no EXT-X-PROGRAM-DATE-TIME: give from/to in seconds") }
                return Double(micros) / 1e6
            case .programTime(let s):
                if s < 0 { return end + s }
                if hasClock, let origin = listing.origin { return Double(origin) / 1e6 + s }
                return first + s
            }
        }
        var a = try position(from), b = try position(to)
        guard a < b else { throw ClipError(.malformed, "from must be before to") }
        guard b - a <= maxSpan else {
            throw ClipError(.malformed, "the clip would last \(Int((b - a).rounded())) s; at most \(Int(maxSpan)) s")
        }
        // A cut is ±1 GOP: a range that overhangs the source by less than a segment is clamped.
        let slack = segs.map(\.duration).max() ?? 0
        func describe(_ s: Double) -> String {
            hasClock ? ProgramDateTime.format(micros: Int64(s * 1e6)) : "\((s * 1000).rounded() / 1000) s"
        }
        guard a >= first - slack, b <= end + slack, a < end, b > first else {
            throw ClipError(.notAvailable, "\(describe(a))–\(describe(b)) is not in the source, which holds \(describe(first))–\(describe(end))")
        }
        a = max(a, first)
        b = min(b, end)
        let i = starts.lastIndex { $0 <= a } ?? 0
        let j = max(i, starts.lastIndex { $0 < b } ?? i)
        for k in (i + 1)..<(j + 1) where k < segs.count && (segs[k].discontinuity || segs[k].initURI != segs[i].initURI) {
            throw ClipError(.notAvailable, "the range crosses a discontinuity (a publisher restart or a codec change) at \(describe(starts[k])); cut before or after it")
        }
        let mediaBefore = segs[i..<j].reduce(0) { $0 + max(0, $1.duration) }
        return ClipPlan(segments: i..<(j + 1), from: a - starts[i], to: mediaBefore + (b - starts[j]),
                        firstSegmentWallClock: hasClock ? Int64(starts[i] * 1e6) : nil)
    }
}

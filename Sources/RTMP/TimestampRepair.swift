import MediaCore

/// Keeps a publisher's DTS monotonic and continuous, with real durations. RTMP timestamps are
/// 32-bit milliseconds shared by all tracks; publishers restart them, jump them, run them
/// backwards or send them slightly out of order.
///
/// Each track has an offset (output = input + offset). A discontinuity — a jump back more than
/// `maxBackwardStep`, forward more than `maxForwardJump`, or a second input in a row that is not
/// after the one before (timestamps running backwards or standing still) — rebases the track so
/// it continues one typical frame duration (the median of its recent steps) after its last
/// output; later frames keep the spacing of their own timestamps. A track that jumps right after
/// another one did first tries that track's new offset, so a publisher restart keeps audio and
/// video in sync. A single small step back is clamped to 1 ms after the last output, which
/// leaves no drift. Every repair counts in `repairs`.
public struct TimestampRepair: Sendable {
    public var maxForwardJump: Int64 = 5_000
    public var maxBackwardStep: Int64 = 500
    public private(set) var repairs = 0
    public private(set) var lastRepair: String?

    private var offset: [TrackKind: Int64] = [:]
    /// The offset the latest rebase chose, for the other track to follow.
    private var lastRebaseOffset: Int64?
    private var lastIn: [TrackKind: Int64] = [:]
    private var lastOut: [TrackKind: Int64] = [:]
    private var recentSteps: [TrackKind: [Int64]] = [:]
    private var notAdvancing: [TrackKind: Int] = [:]

    static let recentCount = 8

    public init() {}

    /// Unwraps the 32-bit wire timestamp against this track's last one.
    mutating func unwrap(_ ts: UInt32, track: TrackKind) -> Int64 {
        let raw = Int64(ts)
        guard let last = lastIn[track] else { return raw }
        let epoch = (last >> 32) << 32
        var v = epoch + raw
        if v < last - (1 << 31) { v += 1 << 32 } else if v > last + (1 << 31), epoch > 0 { v -= 1 << 32 }
        return v
    }

    /// The frame duration this track has shown lately (median of its recent steps), or a
    /// common one (30 fps video, AAC at 44.1 kHz) before it has shown any.
    func typicalStep(_ track: TrackKind) -> Int64 {
        guard let steps = recentSteps[track], !steps.isEmpty else { return track == .video ? 33 : 23 }
        return max(1, min(steps.sorted()[steps.count / 2], 1_000))
    }

    /// Maps a wire DTS to a repaired output DTS (milliseconds).
    public mutating func repair(_ ts: UInt32, track: TrackKind) -> Int64 {
        let input = unwrap(ts, track: track)
        defer { lastIn[track] = input }
        var trackOffset = offset[track] ?? lastRebaseOffset ?? 0
        var out = input + trackOffset
        guard let prev = lastOut[track], let previousInput = lastIn[track] else {
            if let other = lastOut.values.max(), out > other + maxForwardJump || out < other - maxForwardJump {
                // A track that starts far from the others (e.g. audio from zero, video from 10 s).
                trackOffset = other - input
                out = other
                note("\(track) started \(input) ms, far from the other track")
            }
            offset[track] = trackOffset
            lastOut[track] = out
            return out
        }
        let stalled = input > previousInput ? 0 : (notAdvancing[track] ?? 0) + 1
        notAdvancing[track] = stalled
        let step = out - prev
        if step > maxForwardJump || step < -maxBackwardStep || stalled >= 2 {
            if stalled < 2, let shared = lastRebaseOffset, shared != trackOffset,
               case let followed = input + shared - prev, followed > 0, followed <= maxForwardJump {
                // Another track was just rebased; following it keeps the tracks in sync.
                trackOffset = shared
                out = input + shared
            } else {
                let typical = typicalStep(track)
                trackOffset = prev + typical - input
                lastRebaseOffset = trackOffset
                out = prev + typical
                note(stalled >= 2 ? "\(track) DTS not advancing; rebased to \(typical) ms frames"
                                  : "\(track) DTS jumped by \(step) ms; rebased")
            }
            offset[track] = trackOffset
        } else if step <= 0 {
            note(step == 0 ? "\(track) DTS repeated; moved 1 ms on" : "\(track) DTS went back by \(-step) ms; clamped")
            out = prev + 1
        } else {
            var steps = recentSteps[track] ?? []
            steps.append(step)
            if steps.count > Self.recentCount { steps.removeFirst() }
            recentSteps[track] = steps
        }
        lastOut[track] = out
        return out
    }

    private mutating func note(_ what: String) {
        repairs += 1
        lastRepair = what
    }
}

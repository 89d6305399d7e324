import MediaCore

/// Keeps a publisher's DTS monotonic and continuous. RTMP timestamps are 32-bit milliseconds
/// shared by all tracks; publishers restart them, jump them, or send them slightly out of order.
///
/// One offset serves every track so audio and video stay in sync after a repair: when a track
/// jumps (back more than `maxBackward` or forward more than `maxForward` from its last output),
/// the offset moves so that track continues one frame after its last output. Smaller steps back
/// are clamped. Every change counts in `repairs`.
public struct TimestampRepair: Sendable {
    public var maxForwardJump: Int64 = 5_000
    public var maxBackwardStep: Int64 = 500
    public private(set) var repairs = 0
    public private(set) var lastRepair: String?

    private var offset: Int64 = 0
    private var lastIn: [TrackKind: Int64] = [:]
    private var lastOut: [TrackKind: Int64] = [:]
    private var lastStep: [TrackKind: Int64] = [:]

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

    /// Maps a wire DTS to a repaired output DTS (milliseconds).
    public mutating func repair(_ ts: UInt32, track: TrackKind) -> Int64 {
        let input = unwrap(ts, track: track)
        defer { lastIn[track] = input }
        var out = input + offset
        guard let prev = lastOut[track] else {
            if let other = lastOut.values.max(), out > other + maxForwardJump || out < other - maxForwardJump {
                // A track that starts far from the others (e.g. audio from zero, video from 10 s).
                offset += other - out
                out = other
                note("\(track) started \(input) ms, far from the other track")
            }
            lastOut[track] = out
            return out
        }
        let step = out - prev
        if step > maxForwardJump || step < -maxBackwardStep {
            let typical = max(1, min(lastStep[track] ?? 20, 100))
            offset += prev + typical - out
            note("\(track) DTS jumped by \(step) ms; rebased")
            out = prev + typical
        } else if step <= 0 {
            note(step == 0 ? "\(track) DTS repeated; moved 1 ms on" : "\(track) DTS went back by \(-step) ms; clamped")
            out = prev + 1
        } else {
            lastStep[track] = step
        }
        lastOut[track] = out
        return out
    }

    private mutating func note(_ what: String) {
        repairs += 1
        lastRepair = what
    }
}

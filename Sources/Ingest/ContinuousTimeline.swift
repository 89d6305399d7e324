/// Keeps a relay's output timeline running across gaps in its input (a skip to a keyframe, a
/// queue overflow, a republish whose clock starts elsewhere): after a gap the next video unit
/// (or any unit, without video) continues one frame after the last unit sent. Microseconds.
struct ContinuousTimeline {
    private(set) var shift: Int64 = 0
    private var rebasing = false
    private var lastOut: Int64?
    private var lastDTS: [Int: Int64] = [:]
    let hasVideo: Bool

    init(hasVideo: Bool) {
        self.hasVideo = hasVideo
    }

    /// Takes over where `previous` (the timeline before new tracks) ended: the first unit
    /// rebases after its last one.
    mutating func `continue`(from previous: ContinuousTimeline) {
        lastOut = previous.lastOut
        gap()
    }

    /// Something was lost or the source restarted: rebase at the next unit that can lead.
    mutating func gap() {
        if lastOut != nil { rebasing = true }
    }

    /// The output (dts, pts) of a unit, or nil to leave it out: audio waiting for the video
    /// that rebases, or a dts that would not increase (muxers refuse those).
    mutating func place(track: Int, isVideo: Bool, dts: Int64, pts: Int64) -> (dts: Int64, pts: Int64)? {
        if rebasing {
            guard isVideo || !hasVideo, let last = lastOut else { return nil }
            shift = last + 33_333 - dts
            rebasing = false
            lastDTS.removeAll()
        }
        let out = (dts: dts + shift, pts: pts + shift)
        if let last = lastDTS[track], out.dts <= last { return nil }
        lastDTS[track] = out.dts
        lastOut = max(lastOut ?? out.dts, out.dts)
        return out
    }
}

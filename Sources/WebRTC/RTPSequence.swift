/// RTP sequence number arithmetic across the 16-bit wrap.
public enum RTPSequence {
    /// True when `a` comes after `b` (within half the number space).
    public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        a != b && a &- b < 0x8000
    }
}

/// Bounds on what a publisher's parameter sets may declare. Larger pictures exist in no level
/// Sluice can decode, and every size must fit the Int32 fields of FFmpeg's structures.
public enum VideoLimits {
    /// Width and height, in luma samples (H.264 level 6.2 allows 8192×4320; HEVC 8192×4320 too).
    public static let maxDimension = 16384
}

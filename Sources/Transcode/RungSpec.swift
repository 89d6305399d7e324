/// One video rung of a ladder as configured: a name, a height (the width follows the source's
/// aspect ratio unless given), a target bitrate and an optional frame-rate cap.
public struct RungSpec: Sendable, Equatable {
    public var name: String
    public var height: Int
    /// nil: derived from the source's aspect ratio, rounded to even.
    public var width: Int?
    /// Target bitrate in bits per second (VBV-capped, see `TranscodeConfiguration`).
    public var bitrate: Int
    /// Frames above this rate are dropped for this rung (nil: keep the source rate).
    public var maxFrameRate: Double?

    public init(name: String, height: Int, width: Int? = nil, bitrate: Int, maxFrameRate: Double? = nil) {
        self.name = name
        self.height = height
        self.width = width
        self.bitrate = bitrate
        self.maxFrameRate = maxFrameRate
    }
}

/// One encoded access unit on its way to the transport. Timestamps in microseconds.
public struct UplinkUnit: Sendable {
    public enum Kind: Sendable { case video, audio }
    public var kind: Kind
    public var pts: Int64
    public var dts: Int64
    public var duration: Int64
    public var isKeyframe: Bool
    /// Video: Annex B access unit (SPS/PPS in band on keyframes, the latency SEI first).
    /// Audio: one raw AAC frame.
    public var data: [UInt8]
    /// The picture size, for the transport's headers (0 for audio).
    public var width = 0
    public var height = 0

    public init(kind: Kind, pts: Int64, dts: Int64, duration: Int64, isKeyframe: Bool, data: [UInt8]) {
        self.kind = kind
        self.pts = pts
        self.dts = dts
        self.duration = duration
        self.isKeyframe = isKeyframe
        self.data = data
    }
}

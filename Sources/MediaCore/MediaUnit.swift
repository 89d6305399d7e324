import NIOCore

/// The one thing that moves through Sluice: a compressed access unit of one track.
///
/// H.264/HEVC payloads are length-prefixed (4-byte AVCC/HVCC, as RTMP and fMP4 carry them);
/// AAC payloads are raw frames without ADTS. Codec configuration travels in `TrackInfo`.
public struct MediaUnit: Sendable {
    public var track: TrackKind
    public var pts: Int64
    public var dts: Int64
    public var timebase: Rational
    public var isKeyframe: Bool
    public var data: ByteBuffer
    /// Wall clock (µs since the Unix epoch) when the first byte of this unit reached Sluice.
    public var ingestWallClock: Int64

    public init(track: TrackKind, pts: Int64, dts: Int64, timebase: Rational, isKeyframe: Bool,
                data: ByteBuffer, ingestWallClock: Int64) {
        self.track = track
        self.pts = pts
        self.dts = dts
        self.timebase = timebase
        self.isKeyframe = isKeyframe
        self.data = data
        self.ingestWallClock = ingestWallClock
    }

    public var ptsSeconds: Double { Double(pts) * timebase.seconds }
    public var dtsSeconds: Double { Double(dts) * timebase.seconds }
}

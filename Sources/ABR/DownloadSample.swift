/// One finished download as a player sees it: the request, its first byte, its last byte.
///
/// Timing from the first byte is what makes tiny LL-HLS parts measurable (hls.js #2861: a 1,171-byte
/// part read 320 kbit/s from request start and 28 Mbit/s from first byte): the time to first byte of a
/// blocking part request is mostly waiting for the encoder, not the network.
public struct DownloadSample: Sendable, Equatable, Codable {
    /// Payload bytes received.
    public var bytes: Double
    /// Request start → first byte, milliseconds.
    public var firstByteMs: Double
    /// First byte → last byte, milliseconds.
    public var transferMs: Double
    /// Seconds of media in the download (part or segment duration).
    public var mediaSeconds: Double

    public init(bytes: Double, firstByteMs: Double, transferMs: Double, mediaSeconds: Double) {
        self.bytes = bytes
        self.firstByteMs = firstByteMs
        self.transferMs = transferMs
        self.mediaSeconds = mediaSeconds
    }

    /// Request start → last byte, milliseconds.
    public var totalMs: Double { firstByteMs + transferMs }
}

/// EXT-X-RENDITION-REPORT for another rendition of the same stream.
public struct RenditionReport: Sendable, Equatable {
    /// Relative URI of the other rendition's playlist, e.g. "../720p/index.m3u8".
    public var uri: String
    public var lastMSN: Int
    public var lastPart: Int

    public init(uri: String, lastMSN: Int, lastPart: Int) {
        self.uri = uri
        self.lastMSN = lastMSN
        self.lastPart = lastPart
    }
}

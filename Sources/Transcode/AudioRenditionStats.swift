/// Counters of one audio rendition.
public struct AudioRenditionStats: Sendable, Equatable {
    public var name: String
    public var packetsOut = 0
    public var bytesOut = 0
    public var encodeSeconds = 0.0

    public init(name: String) {
        self.name = name
    }
}

import MediaCore

/// A publisher's handle on its stream. Writes from an evicted publisher are ignored.
public struct Publisher: Sendable {
    public let stream: LiveStream
    let id: Int
    let hub: StreamHub

    public var path: String { stream.path }

    public func setTracks(_ tracks: [TrackInfo]) { stream.setTracks(tracks, publisher: id) }
    /// Names the publisher's protocol ("rtmp", "srt") for metrics.
    public func setTransport(_ transport: String) { stream.setTransport(transport, publisher: id) }
    public func setMetadata(_ metadata: [String: String]) { stream.setMetadata(metadata, publisher: id) }

    /// Fans the unit out to every reader. False once another publisher took the path over.
    @discardableResult
    public func write(_ unit: MediaUnit) -> Bool { stream.write(unit, publisher: id) }

    /// Ends the stream (publisher disconnected). A no-op after a takeover.
    public func end() { stream.end(publisher: id, hub: hub) }
}

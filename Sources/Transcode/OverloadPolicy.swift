/// What the session does when a stage cannot keep up.
public enum OverloadPolicy: Sendable, Equatable {
    /// Live: ingest never waits; a full queue drops frames (counted), memory stays bounded.
    case dropFrames
    /// Files and benchmarks: the producer waits for room, nothing is dropped.
    case block
}

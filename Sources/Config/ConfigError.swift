/// A configuration that cannot be used: which key, where it was set, and why. Printed as one
/// line: `sluice.yaml:12: listeners.rtmp.port: must be 0–65535, got 70000`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `listeners.rtmp.port`, `paths[1].ladder`; empty for the document as a whole.
    public var keyPath: String
    public var origin: ConfigOrigin
    public var reason: String

    public init(keyPath: String, origin: ConfigOrigin, reason: String) {
        self.keyPath = keyPath
        self.origin = origin
        self.reason = reason
    }

    public var line: Int? { origin.line }

    public var description: String {
        let key = keyPath.isEmpty ? "" : "\(keyPath): "
        return "\(origin): \(key)\(reason)"
    }
}

/// Where a configuration value came from, so an error can point at it.
public enum ConfigOrigin: Sendable, Equatable, CustomStringConvertible {
    /// A line of the configuration file (1-based).
    case file(name: String, line: Int)
    case environment(String)
    case flag(String)
    /// Nothing set it: the built-in default.
    case defaultValue

    public var description: String {
        switch self {
        case .file(let name, let line): "\(name):\(line)"
        case .environment(let name): "environment \(name)"
        case .flag(let name): "flag \(name)"
        case .defaultValue: "default"
        }
    }

    public var line: Int? { if case .file(_, let line) = self { line } else { nil } }
}

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

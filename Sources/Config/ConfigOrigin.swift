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

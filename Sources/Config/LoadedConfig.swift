/// A configuration as loaded, with where each key was set, so a check made later (the ladder
/// syntax, which the Transcode target knows) still names the key and its line.
public struct LoadedConfig: Sendable {
    public var config: SluiceConfig
    /// Key path (`listeners.rtmp.port`, `paths[0].ladder`) → where it was set. Keys left at
    /// their default are absent.
    public var origins: [String: ConfigOrigin]

    public init(config: SluiceConfig, origins: [String: ConfigOrigin] = [:]) {
        self.config = config
        self.origins = origins
    }

    /// Where `keyPath` was set; else where its nearest enclosing key was; else the default.
    public func origin(of keyPath: String) -> ConfigOrigin {
        var path = keyPath
        while !path.isEmpty {
            if let origin = origins[path] { return origin }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = String(path[..<cut])
        }
        return .defaultValue
    }

    public func line(of keyPath: String) -> Int? { origin(of: keyPath).line }

    public func error(_ keyPath: String, _ reason: String) -> ConfigError {
        ConfigError(keyPath: keyPath, origin: origin(of: keyPath), reason: reason)
    }

    /// A command-line flag's value, which overrides the file and the environment.
    public mutating func override<V>(_ key: WritableKeyPath<SluiceConfig, V>, with value: V, keyPath: String, flag: String) {
        config[keyPath: key] = value
        origins[keyPath] = .flag(flag)
    }
}

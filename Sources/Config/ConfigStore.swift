import Synchronization

/// The server's current configuration: one owner, replaced whole on reload. Readers take
/// `current` at decision time (a publish, a request) and never cache parts of it, so a reload
/// applies to the next decision without a restart.
public final class ConfigStore: Sendable {
    private let state: Mutex<SluiceConfig>

    public init(_ config: SluiceConfig = SluiceConfig()) {
        state = Mutex(config)
    }

    public var current: SluiceConfig { state.withLock { $0 } }

    /// Installs `config` for every later decision; returns the one it replaced.
    @discardableResult
    public func replace(with config: SluiceConfig) -> SluiceConfig {
        state.withLock { old in
            let previous = old
            old = config
            return previous
        }
    }
}

import Logging
import Synchronization

/// The log level `sluice serve`'s handlers read on every message, so a reload's
/// `logging.level` applies at once to every logger already made.
public final class SluiceLogLevel: Sendable {
    public static let shared = SluiceLogLevel()
    private let raw = Atomic<Int>(SluiceLogLevel.index(.info))

    public var level: Logger.Level {
        get { Logger.Level.allCases[min(max(raw.load(ordering: .relaxed), 0), Logger.Level.allCases.count - 1)] }
        set { raw.store(Self.index(newValue), ordering: .relaxed) }
    }

    private static func index(_ level: Logger.Level) -> Int { Logger.Level.allCases.firstIndex(of: level) ?? 2 }
}

/// A handler whose level is `SluiceLogLevel.shared`'s (unless a logger sets its own).
public struct ReloadableLogHandler: LogHandler {
    private var inner: any LogHandler
    private var ownLevel: Logger.Level?

    public init(_ inner: any LogHandler) {
        self.inner = inner
        self.inner.logLevel = .trace // the level check is ours
    }

    public var logLevel: Logger.Level {
        get { ownLevel ?? SluiceLogLevel.shared.level }
        set { ownLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        inner.log(event: event)
    }
}

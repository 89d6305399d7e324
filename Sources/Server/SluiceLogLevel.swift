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

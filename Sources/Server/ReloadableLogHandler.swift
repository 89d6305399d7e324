import Logging

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

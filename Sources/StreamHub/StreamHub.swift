import Foundation
import MediaCore
import Synchronization

/// The registry of live streams: one publisher per path, any number of readers.
///
/// A new publisher on a busy path takes it over at once (the old one is told to stop), so a
/// host whose connection half-died is never locked out.
public final class StreamHub: Sendable {
    private let streams = Mutex<[String: LiveStream]>([:])
    private let observers = Mutex<[@Sendable (LiveStream) -> Void]>([])

    public init() {}

    /// Starts publishing on `path`. If the path is busy, the previous publisher is evicted
    /// (its `onEvicted` runs) and the stream continues with a discontinuity.
    public func publish(path: String, onEvicted: @escaping @Sendable () -> Void = {}) -> Publisher {
        var created = false
        let stream = streams.withLock { map -> LiveStream in
            if let existing = map[path] { return existing }
            let s = LiveStream(path: path)
            map[path] = s
            created = true
            return s
        }
        let publisher = stream.attach(onEvicted: onEvicted, hub: self)
        if created {
            for observer in observers.withLock({ $0 }) { observer(stream) }
        }
        return publisher
    }

    /// The live stream at `path`, if someone publishes there.
    public func stream(_ path: String) -> LiveStream? {
        streams.withLock { $0[path] }
    }

    public var paths: [String] { streams.withLock { Array($0.keys).sorted() } }

    /// Runs `observer` for every stream that appears from now on (e.g. to start a transcoder).
    public func onNewStream(_ observer: @escaping @Sendable (LiveStream) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func remove(_ stream: LiveStream) {
        streams.withLock { map in
            if map[stream.path] === stream { map[stream.path] = nil }
        }
    }
}

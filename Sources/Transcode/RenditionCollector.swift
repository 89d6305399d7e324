import MediaCore
import Synchronization

/// A `RenditionSink` that keeps everything in memory: for the benchmark and tests.
public final class RenditionCollector: RenditionSink {
    private struct State {
        var renditions: [String: Rendition] = [:]
        var tracks: [String: [TrackInfo]] = [:]
        var units: [String: [MediaUnit]] = [:]
        var ended: Set<String> = []
    }
    private let state = Mutex(State())
    private let onUnit: (@Sendable (MediaUnit, String) -> Void)?

    /// `onUnit` runs on the codec thread for every unit (tests use it to stall a rung).
    public init(onUnit: (@Sendable (MediaUnit, String) -> Void)? = nil) {
        self.onUnit = onUnit
    }

    public func start(_ rendition: Rendition) {
        state.withLock {
            $0.renditions[rendition.name] = rendition
            $0.tracks[rendition.name, default: []].append(rendition.track)
        }
    }

    public func unit(_ unit: MediaUnit, rendition: String) {
        onUnit?(unit, rendition)
        state.withLock { $0.units[rendition, default: []].append(unit) }
    }

    public func end(rendition: String) {
        _ = state.withLock { $0.ended.insert(rendition) }
    }

    public var names: [String] { state.withLock { $0.renditions.keys.sorted() } }
    public func rendition(_ name: String) -> Rendition? { state.withLock { $0.renditions[name] } }
    public func tracks(_ name: String) -> [TrackInfo] { state.withLock { $0.tracks[name] ?? [] } }
    public func units(_ name: String) -> [MediaUnit] { state.withLock { $0.units[name] ?? [] } }
    public func hasEnded(_ name: String) -> Bool { state.withLock { $0.ended.contains(name) } }
}

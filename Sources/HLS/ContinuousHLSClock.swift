/// The real clock: `ContinuousClock` (does not jump with wall-clock changes).
public struct ContinuousHLSClock: HLSClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func now() -> Duration { ContinuousClock.now - origin }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

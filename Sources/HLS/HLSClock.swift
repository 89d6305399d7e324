/// Monotonic time for blocking-reload deadlines; tests drive a manual one.
public protocol HLSClock: Sendable {
    /// Time since an arbitrary origin.
    func now() -> Duration
    func sleep(for duration: Duration) async throws
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic seconds for stage timings (cheap: one clock_gettime).
enum Stopwatch {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Runs `body` and adds its duration to `seconds`.
    static func time<T>(_ seconds: inout Double, _ body: () throws -> T) rethrows -> T {
        let start = now()
        defer { seconds += now() - start }
        return try body()
    }
}

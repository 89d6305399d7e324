#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stage timings in CPU seconds of the calling thread: on a shared machine wall-clock stage
/// times mostly measure who else was running; thread CPU time measures the stage.
enum Stopwatch {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Runs `body` and adds its duration to `seconds`.
    static func time<T>(_ seconds: inout Double, _ body: () throws -> T) rethrows -> T {
        let start = now()
        defer { seconds += now() - start }
        return try body()
    }
}

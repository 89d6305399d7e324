#if canImport(Glibc)
import Glibc
#endif

/// Names the calling thread where top, perf and /proc show it. Linux keeps 15 bytes, and
/// Foundation's `Thread.name` never reached the OS for the longer names Sluice used
/// ("sluice.rung.720p"): every codec thread showed its creator's name, so a rung's CPU could
/// not be told from the decoder's.
enum ThreadName {
    static func setCurrent(_ name: String) {
        #if os(Linux)
        var bytes = name.utf8.prefix(15).map { CChar(bitPattern: $0) }
        bytes.append(0)
        _ = pthread_setname_np(pthread_self(), bytes)
        #endif
    }
}

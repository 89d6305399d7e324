#if canImport(Glibc)
import Glibc
#endif

/// Names the calling thread where top, perf and /proc show it. Linux keeps 15 bytes, and
/// Foundation's `Thread.name` never reached the OS for the longer names Sluice used
/// ("sluice.rung.720p"): every codec thread showed its creator's name, so a rung's CPU could
/// not be told from the decoder's. (Glibc's pthread_setname_np is not visible to Swift here;
/// the thread's own comm file is what it writes.)
enum ThreadName {
    static func setCurrent(_ name: String) {
        #if os(Linux)
        let bytes = Array(name.utf8.prefix(15))
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #endif
    }
}

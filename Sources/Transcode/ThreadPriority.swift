#if canImport(Glibc)
import Glibc
#endif

/// CPU precedence among a session's threads when the cores are short. The decode thread feeds
/// every rung, so a starved decoder delays them all; under overload the rungs should lose frames
/// (their queues drop, counted) before the decoder falls behind, the lower rungs first: a lower
/// frame rate on a small rendition is the least visible loss. Linux keeps the nice value per
/// thread, and threads x264 starts inherit it from the rung thread that opens the encoder.
/// Raising one's own nice needs no privilege; it only ranks threads when they compete.
public enum ThreadPriority {
    /// Nice steps below the session's base for the rung at `index` (0 = the top rung).
    public static func rungOffset(index: Int) -> Int { 1 + min(max(index, 0), 3) }

    /// Lowers the calling thread's priority by `steps` nice levels (setpriority on who = 0
    /// acts on the calling thread on Linux). Best effort: a failure leaves it as it was.
    static func lowerCurrent(by steps: Int) {
        #if os(Linux)
        guard steps > 0 else { return }
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        guard errno == 0 else { return }
        _ = setpriority(which, 0, min(19, current + Int32(steps)))
        #endif
    }
}

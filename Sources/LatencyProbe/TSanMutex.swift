#if SLUICE_TSAN
import MediaCore

/// ThreadSanitizer builds lock with pthreads, which it can see (Docs/Development.md).
typealias Mutex<Value> = TSanVisibleMutex<Value>
#endif

#if SLUICE_TSAN
import MediaCore

/// ThreadSanitizer builds lock with pthreads, which it can see (Docs/Development.md).
typealias TransportMutex<Value> = TSanVisibleMutex<Value>
#else
import Synchronization

typealias TransportMutex<Value> = Mutex<Value>
#endif

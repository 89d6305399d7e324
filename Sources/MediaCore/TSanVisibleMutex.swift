#if canImport(Glibc)
import Glibc
#endif

/// A lock over `pthread_mutex`, with `Synchronization.Mutex`'s `withLock`. Only `make tsan`
/// uses it (`SLUICE_TSAN`): ThreadSanitizer does not see `Mutex`'s ordering on Linux and reports
/// races inside every `withLock` (Docs/Development.md); it does see pthreads.
///
/// @unchecked Sendable: `value` is only touched between lock and unlock.
public final class TSanVisibleMutex<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

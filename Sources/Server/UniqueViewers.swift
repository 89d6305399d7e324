/// Distinct viewers of one stream in bounded memory: an exact set up to `exactLimit` keys, then
/// the HyperLogLog estimate (fed from the start, so switching loses nothing).
struct UniqueViewers: Sendable {
    let exactLimit: Int
    private var exact: Set<UInt64>? = []
    private var sketch = HyperLogLog()

    init(exactLimit: Int) {
        self.exactLimit = max(0, exactLimit)
    }

    mutating func add(_ key: UInt64) {
        sketch.add(key)
        guard exact != nil else { return }
        exact?.insert(key)
        if let count = exact?.count, count > exactLimit { exact = nil } // past the bound: estimate from now on
    }

    /// Exact while under the bound, else estimated.
    var count: Int {
        if let exact { return exact.count }
        return Int(sketch.estimate.rounded())
    }

    var isEstimated: Bool { exact == nil }
}

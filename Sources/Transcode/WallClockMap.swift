/// Source time → ingest wall clock for the recent past, so an output unit can carry the wall
/// clock of the source media it was made from (audio is re-chunked, so there is no 1:1 unit).
struct WallClockMap {
    private var entries: [(seconds: Double, wallClock: Int64)] = []
    private let capacity = 256

    mutating func record(seconds: Double, wallClock: Int64) {
        if let last = entries.last, seconds < last.seconds { entries.removeAll() } // timestamps restarted
        entries.append((seconds, wallClock))
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    /// The wall clock of the latest source unit at or before `seconds` (else the earliest known).
    func wallClock(atSeconds seconds: Double) -> Int64? {
        entries.last { $0.seconds <= seconds }?.wallClock ?? entries.first?.wallClock
    }
}

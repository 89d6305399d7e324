/// One end of a clip: a wall clock (matched with EXT-X-PROGRAM-DATE-TIME) or program time in
/// seconds (0 = the source's start: a recording's first segment, a live stream's publish
/// start; negative = back from the newest media, so -30 is "30 s before the live edge").
public enum ClipTime: Sendable, Equatable {
    /// µs since 1970.
    case wallClock(Int64)
    case programTime(Double)

    /// `2026-11-30T18:10:00.5Z` (ISO 8601 with a zone) or a number of seconds; nil otherwise.
    public init?(_ text: String) {
        if let micros = ProgramDateTime.parse(text) {
            self = .wallClock(micros)
        } else if let seconds = Double(text), seconds.isFinite, abs(seconds) < 1e9 {
            self = .programTime(seconds)
        } else {
            return nil
        }
    }
}

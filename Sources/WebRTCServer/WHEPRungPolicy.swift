/// Which rung a WHEP viewer should watch, from its receiver reports: loss of 8 % or more in two
/// reports in a row moves it one rung down; 10 s without loss moves it back up. Every further
/// move down doubles that wait (up to 80 s), so a path that cannot carry the higher rung is not
/// probed every few seconds. Pure, on an injected clock.
struct WHEPRungPolicy {
    enum Decision: Equatable { case stay, down, up }

    static let lossy = 0.08
    static let clean = 0.02
    static let maxHold: Duration = .seconds(80)

    // Doubled by the first move down: the first way back up waits 10 s.
    private(set) var hold: Duration = .seconds(5)
    private var lossyReports = 0
    private var cleanSince: ContinuousClock.Instant?

    /// One receiver report block for our video SSRC (`fractionLost` is RFC 3550's, /256).
    mutating func report(fractionLost: UInt8, now: ContinuousClock.Instant, canGoDown: Bool, canGoUp: Bool) -> Decision {
        let loss = Double(fractionLost) / 256
        if loss >= Self.lossy {
            cleanSince = nil
            lossyReports += 1
            guard lossyReports >= 2, canGoDown else { return .stay }
            lossyReports = 0
            hold = min(hold * 2, Self.maxHold)
            return .down
        }
        lossyReports = 0
        guard loss < Self.clean else {
            cleanSince = nil
            return .stay
        }
        let since = cleanSince ?? now
        cleanSince = since
        guard canGoUp, now - since >= hold else { return .stay }
        cleanSince = nil
        return .up
    }
}

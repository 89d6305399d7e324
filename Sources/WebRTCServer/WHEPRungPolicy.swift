/// Which rung a WHEP viewer should watch. Pure, on an injected clock.
///
/// Signals: the viewer's bandwidth estimate (REMB: the browser's receive-side estimate), the
/// loss and round trip of its receiver reports. `needs` is what each rung of the ladder costs
/// on the wire (video + audio + ~10 % RTP/SRTP overhead), by falling bitrate; nil when the
/// ladder's bitrates are unknown, and then only loss moves the viewer.
///
/// The estimate is compared with the current rung's `level`: what it needs, or what is actually
/// sent if less (a receive-side estimator starts at, and without congestion stays near or above,
/// what it receives; an easy scene sends well under the rung's bitrate, and an estimate at that
/// rate is no congestion).
///
/// - Down fast: two estimates in a row below 75 % of the level (or one below half of it), and
///   fallen by 10 % or more from the highest since the last move, move to the highest rung that
///   fits the estimate, skipping rungs if need be. Falling matters: a receive-side estimator
///   only lowers its estimate when it sees a queue grow, while after a move up it lags the new
///   rate for seconds, rising (Chromium 156: 3–6 % a second) — below the level, but no
///   congestion. Two receiver reports in a row with 8 % loss or more move one rung down.
/// - Up slowly: one rung at a time, only after the way up has been open for `hold` without a
///   break. Open means: the next rung fits under 85 % of the estimate, or the estimate sits 25 %
///   above the level (a receive-side estimator cannot rise far above what it receives, ~1.5×, so
///   reaching that is "no congestion seen": a probe); and the receiver reports show no loss
///   (< 2 %) and no queue (RTT within 150 ms of the lowest seen). Without an estimate, clean
///   reports alone open it (loss-only, as before REMB).
/// - Every move down doubles `hold` (the first way back up waits 10 s, then 20 s, … up to 80 s),
///   so a path that cannot carry the higher rung is not probed every few seconds; a move up that
///   lasts 30 s halves it again.
struct WHEPRungPolicy {
    enum Decision: Equatable {
        case stay
        case move(to: Int)
    }

    static let lossy = 0.08
    static let clean = 0.02
    /// An estimate under 75 % of the level is congestion: a receive-side estimator that sees a
    /// queue growing drops to ~85 % of what it receives, while an idle one starts at about what
    /// it receives and lags a bursty sender by a little (Chromium 156: 600 kbit/s against 720 sent).
    static let downFactor = 0.75
    static let fallen = 0.9
    static let upFit = 0.85
    static let probeHeadroom = 1.25
    static let queueRTT: Duration = .milliseconds(150)
    static let maxHold: Duration = .seconds(80)
    static let failedUpWindow: Duration = .seconds(30)
    /// An estimate older than this does not open the way up.
    static let staleEstimate: Duration = .seconds(5)

    static let baseHold: Duration = .seconds(5)

    // Doubled by the first move down: the first way back up waits 10 s.
    private(set) var hold: Duration = baseHold
    /// The latest estimate (bit/s) and when it came.
    private(set) var estimate: Int?
    private var estimateAt: ContinuousClock.Instant?
    /// The highest estimate since the last move.
    private var peak: Int?
    private var below = 0
    private var lossyReports = 0
    /// Since when the way up has been open; nil while it is not.
    private var openSince: ContinuousClock.Instant?
    private var lastUp: ContinuousClock.Instant?
    private(set) var minRTT: Duration?
    /// Whether the latest report allowed going up (no loss, no queue).
    private var reportsClean = true

    /// A bandwidth estimate (REMB) of `bitsPerSecond` while watching rung `current`; `sent` is
    /// what this viewer was sent lately (bit/s on the wire), nil if not known yet.
    mutating func estimate(bitsPerSecond: Int, sent: Int? = nil, now: ContinuousClock.Instant, current: Int, needs: [Int]?) -> Decision {
        settle(now)
        estimate = bitsPerSecond
        estimateAt = now
        peak = max(peak ?? bitsPerSecond, bitsPerSecond)
        guard let needs, needs.indices.contains(current) else { return .stay }
        let level = sent.map { $0 > 0 ? min($0, needs[current]) : needs[current] } ?? needs[current]
        let fallen = Double(bitsPerSecond) <= Double(peak ?? bitsPerSecond) * Self.fallen
        if Double(bitsPerSecond) < Double(level) * Self.downFactor, fallen {
            below += 1
            openSince = nil
            guard below >= 2 || bitsPerSecond < level / 2, current + 1 < needs.count else { return .stay }
            // The highest rung that fits; the bottom one when none does.
            let target = needs.indices.first { $0 > current && needs[$0] <= bitsPerSecond } ?? needs.count - 1
            return down(to: target)
        }
        below = 0
        return up(now: now, current: current, needs: needs, level: level)
    }

    /// One receiver report block for our video SSRC (`fractionLost` is RFC 3550's, /256) and the
    /// round trip it gave (nil without an SR echo).
    mutating func report(fractionLost: UInt8, rtt: Duration?, now: ContinuousClock.Instant, current: Int, count: Int,
                         needs: [Int]?) -> Decision {
        settle(now)
        let loss = Double(fractionLost) / 256
        if let rtt { minRTT = min(minRTT ?? rtt, rtt) }
        if loss >= Self.lossy {
            reportsClean = false
            openSince = nil
            lossyReports += 1
            guard lossyReports >= 2, current + 1 < count else { return .stay }
            return down(to: current + 1)
        }
        lossyReports = 0
        let queued = rtt.map { rtt in minRTT.map { rtt - $0 >= Self.queueRTT } ?? false } ?? false
        reportsClean = loss < Self.clean && !queued
        guard reportsClean else {
            openSince = nil
            return .stay
        }
        // While estimates come, they drive the way up (the report only had to be clean);
        // without them (none negotiated, or they stopped) clean reports do.
        let estimating = needs != nil && estimateAt.map { now - $0 <= Self.staleEstimate } == true
        guard !estimating else { return .stay }
        return up(now: now, current: current, needs: nil, level: 0)
    }

    private mutating func down(to target: Int) -> Decision {
        below = 0
        lossyReports = 0
        openSince = nil
        lastUp = nil
        peak = estimate
        hold = min(hold * 2, Self.maxHold)
        return .move(to: target)
    }

    /// A move up not undone within `failedUpWindow` worked: the wait shrinks again.
    private mutating func settle(_ now: ContinuousClock.Instant) {
        guard let up = lastUp, now - up > Self.failedUpWindow else { return }
        lastUp = nil
        hold = max(hold / 2, Self.baseHold)
    }

    private mutating func up(now: ContinuousClock.Instant, current: Int, needs: [Int]?, level: Int) -> Decision {
        guard current > 0, reportsClean else {
            openSince = nil
            return .stay
        }
        if let needs {
            guard let estimate, let at = estimateAt, now - at <= Self.staleEstimate else {
                openSince = nil
                return .stay
            }
            let fits = Double(needs[current - 1]) <= Double(estimate) * Self.upFit
            let headroom = Double(estimate) >= Double(level) * Self.probeHeadroom
            guard fits || headroom else {
                openSince = nil
                return .stay
            }
        }
        let since = openSince ?? now
        openSince = since
        guard now - since >= hold else { return .stay }
        openSince = nil
        lastUp = now
        peak = estimate
        return .move(to: current - 1)
    }
}

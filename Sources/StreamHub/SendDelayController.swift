/// Decides, for one player (a relay reader: RTMP play today, SRT play later), what to do about
/// media queued for it but not yet sent: stay, move down one rendition, skip to the next
/// keyframe, or move back up after a sustained healthy period. Pure: the caller samples its
/// queue every tick (100–250 ms) and carries the decision out.
///
/// Renditions are indexed highest first: 0 is what the player asked for (the source), then the
/// ladder's rungs by falling bitrate. A move takes effect at the target's next keyframe, so
/// after a move the controller holds for `moveHoldMillis` before judging again. Moving up is
/// conservative: the queue must stay below `healthyMillis` for `upAfterMillis`, and a move
/// down soon after a move up (a failed probe) doubles that wait, up to `maxUpAfterMillis`, so
/// a link that flaps cannot make the player oscillate. While the player is backlogged the
/// rate the connection drains at is the link's capacity; for `capacityMemoryMillis` after
/// that measurement it moves up only to a rendition the capacity carries (buffers the sender
/// cannot see, in the network or the receiver, can look healthy for a while).
public struct SendDelayController: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Queued media that moves the player down one rendition.
        public var downBudgetMillis: Int64 = 1000
        /// Queued media that drops what is queued up to the next keyframe.
        public var skipBudgetMillis: Int64 = 3000
        /// A queue at most this long counts as healthy.
        public var healthyMillis: Int64 = 250
        /// Healthy time before the first move up (it doubles after each failed probe).
        public var upAfterMillis: Int64 = 10_000
        public var maxUpAfterMillis: Int64 = 160_000
        /// A move down within this time after a move up counts as a failed probe.
        public var probeWindowMillis: Int64 = 30_000
        /// No further move for this long after one (the switch waits for a keyframe).
        public var moveHoldMillis: Int64 = 2000
        /// No further skip for this long after one.
        public var skipHoldMillis: Int64 = 1000
        /// How long a capacity measured while backlogged rules out moves up above it.
        public var capacityMemoryMillis: Int64 = 60_000
        /// A move up needs this much capacity over the target's bitrate.
        public var upHeadroom = 1.2

        public init() {}
    }

    /// One tick's view of the player's send queue.
    public struct Sample: Sendable, Equatable {
        /// Media duration queued and not yet handed to the kernel: newest queued dts − oldest unsent dts.
        public var queuedMillis: Int64
        /// Bytes queued (reader queue plus the connection's unsent bytes).
        public var queuedBytes: Int
        /// Bytes the connection has handed to the kernel so far (cumulative; nil if unknown).
        public var deliveredBytes: Int?
        /// Monotonic time of the sample.
        public var nowMillis: Int64

        public init(queuedMillis: Int64, queuedBytes: Int = 0, deliveredBytes: Int? = nil, nowMillis: Int64) {
            self.queuedMillis = queuedMillis
            self.queuedBytes = queuedBytes
            self.deliveredBytes = deliveredBytes
            self.nowMillis = nowMillis
        }
    }

    public enum Decision: Sendable, Equatable {
        case stay
        /// Switch to rendition `to` (one lower) at its next keyframe; the old queue is dropped then.
        case moveDown(to: Int)
        /// Switch to rendition `to` (one higher) at its next keyframe.
        case moveUp(to: Int)
        /// Drop queued media up to the next keyframe of the current rendition.
        case skipToKeyframe
    }

    public let configuration: Configuration
    /// Bitrates (bit/s) of the renditions, highest first; 0 where unknown.
    public private(set) var ladder: [Int]
    /// The rendition the player is on (or switching to).
    public private(set) var rendition = 0
    /// The healthy time a move up currently needs.
    public private(set) var upAfterMillis: Int64
    private var healthySince: Int64?
    private var moveHoldUntil = Int64.min
    private var skipHoldUntil = Int64.min
    private var lastUpAt: Int64?
    /// The previous sample's delivered bytes and time, if it was backlogged.
    private var backlogged: (bytes: Int, at: Int64)?
    /// Link capacity (bit/s) measured while backlogged, and when.
    public private(set) var capacity: (bitsPerSecond: Int, at: Int64)?

    public init(ladder: [Int], configuration: Configuration = Configuration()) {
        self.ladder = ladder.isEmpty ? [0] : ladder
        self.configuration = configuration
        upAfterMillis = configuration.upAfterMillis
    }

    /// The ladder changed (renditions appeared or went away); the player stays on `rendition`.
    public mutating func setLadder(_ ladder: [Int], rendition: Int) {
        self.ladder = ladder.isEmpty ? [0] : ladder
        self.rendition = min(max(rendition, 0), self.ladder.count - 1)
    }

    /// A decided move could not be carried out (the target went away): the player is on `rendition`.
    public mutating func moveFailed(rendition: Int) {
        self.rendition = min(max(rendition, 0), ladder.count - 1)
    }

    /// While the queue stays backlogged the connection drains at the link's rate: an EWMA of
    /// that rate, from one backlogged tick to the next.
    private mutating func measureCapacity(_ sample: Sample, queued: Int64) {
        guard let delivered = sample.deliveredBytes, queued > configuration.healthyMillis else {
            backlogged = nil
            return
        }
        defer { backlogged = (delivered, sample.nowMillis) }
        guard let last = backlogged, sample.nowMillis > last.at, delivered >= last.bytes else { return }
        let rate = Int(Int64(delivered - last.bytes) * 8000 / (sample.nowMillis - last.at))
        let smoothed = capacity.map { ($0.bitsPerSecond * 4 + rate) / 5 } ?? rate
        capacity = (smoothed, sample.nowMillis)
    }

    /// The queue as it counts: the media span, or the bytes at the rendition's bitrate if that
    /// says more (a span is 0 while one huge keyframe is queued).
    public func effectiveQueuedMillis(_ sample: Sample) -> Int64 {
        let bitrate = ladder[rendition]
        let fromBytes = bitrate > 0 ? Int64(sample.queuedBytes) * 8000 / Int64(bitrate) : 0
        return max(sample.queuedMillis, fromBytes, 0)
    }

    public mutating func update(_ sample: Sample) -> Decision {
        let now = sample.nowMillis
        let queued = effectiveQueuedMillis(sample)
        let c = configuration
        measureCapacity(sample, queued: queued)
        if queued >= c.downBudgetMillis && rendition < ladder.count - 1 && now >= moveHoldUntil {
            if let up = lastUpAt, now - up < c.probeWindowMillis {
                upAfterMillis = min(upAfterMillis * 2, c.maxUpAfterMillis)
            }
            lastUpAt = nil
            rendition += 1
            moveHoldUntil = now + c.moveHoldMillis
            healthySince = nil
            return .moveDown(to: rendition)
        }
        if queued >= c.skipBudgetMillis && now >= skipHoldUntil {
            skipHoldUntil = now + c.skipHoldMillis
            healthySince = nil
            return .skipToKeyframe
        }
        guard queued <= c.healthyMillis else {
            healthySince = nil
            return .stay
        }
        let since = healthySince ?? now
        healthySince = since
        if let up = lastUpAt, now - up >= c.probeWindowMillis {
            // The last probe held: the next one may come sooner again.
            upAfterMillis = max(upAfterMillis / 2, c.upAfterMillis)
            lastUpAt = nil
        }
        guard rendition > 0, now >= moveHoldUntil, now - since >= upAfterMillis else { return .stay }
        if let capacity, now - capacity.at < c.capacityMemoryMillis,
           Double(capacity.bitsPerSecond) < Double(ladder[rendition - 1]) * c.upHeadroom {
            return .stay // the link measured too slow for it, recently
        }
        rendition -= 1
        lastUpAt = now
        moveHoldUntil = now + c.moveHoldMillis
        healthySince = nil
        return .moveUp(to: rendition)
    }
}

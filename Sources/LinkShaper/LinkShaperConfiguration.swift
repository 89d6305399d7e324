/// What one direction of an emulated link does to packets. Times in seconds, rates in bit/s.
public struct LinkShaperConfiguration: Sendable, Equatable {
    /// Capacity over time (`--rate` or `--trace`); `.unlimited` shapes only delay and loss.
    public var schedule: LinkSchedule = .unlimited
    /// The drop-tail queue holds this many seconds at the current rate (`--queue`, default 1 s).
    public var queueSeconds: Double = 1
    /// The queue never holds less than this many bytes, so a 0-rate step still keeps a packet or two.
    public var minimumQueueBytes: Int = 3000
    /// One-way propagation delay (`--delay`).
    public var delay: Double = 0
    /// Each packet's delay is `delay` plus uniform noise in [-jitter, +jitter], never below 0.
    public var jitter: Double = 0
    /// Bernoulli loss probability per packet, 0...1 (`--loss` / 100).
    public var loss: Double = 0
    /// Gilbert–Elliott transition probabilities (`--burst-loss`), or nil.
    public var burstLoss: GilbertElliott?
    /// A byte stream can neither lose nor reorder bytes: when set, deliveries keep arrival order
    /// (jitter never overtakes) and a lost packet is instead held back this long, as TCP's
    /// retransmission would, delaying everything behind it. Nil: datagrams, lost is lost.
    public var streamRetransmitDelay: Double?
    /// Seeds the generator for loss and jitter (`--seed`).
    public var seed: UInt64 = 1

    public init() {}
}

import LinkShaper
import NIOCore

/// One direction of `sluice shape`'s emulated link, shared by every connection or flow in that
/// direction (a bottleneck is one queue). Confined to the relay's single event loop.
final class ShapedLink {
    let name: String
    private(set) var shaper: LinkShaper
    private(set) var meter: LinkMeter
    let origin: NIODeadline
    /// Bytes admitted but not yet handed to the far side. With a rate the queue bounds it; this
    /// bounds it also when only delay shapes the link (fast sender, long delay).
    private(set) var inFlightBytes = 0
    static let inFlightLimit = 64 << 20

    init(name: String, configuration: LinkShaperConfiguration, origin: NIODeadline) {
        self.name = name
        shaper = LinkShaper(configuration)
        meter = LinkMeter(direction: name, schedule: configuration.schedule, start: 0)
        self.origin = origin
    }

    /// Seconds since the relay started.
    func now() -> Double {
        Double((NIODeadline.now() - origin).nanoseconds) / 1e9
    }

    func deadline(_ t: Double) -> NIODeadline {
        // Clamped: a near-zero trace rate could put a packet centuries away, past Int64 nanoseconds.
        origin + .nanoseconds(Int64((min(max(0, t), 1e9) * 1e9).rounded(.up)))
    }

    var isFull: Bool { inFlightBytes >= Self.inFlightLimit }

    /// A datagram: full queue or in-flight bound → dropped and counted.
    func offerDatagram(bytes: Int, at t: Double) -> ShaperVerdict {
        let verdict = isFull ? .queueFull : shaper.offer(bytes: bytes, at: t)
        if case .deliver = verdict { inFlightBytes += bytes }
        meter.record(verdict, bytes: bytes, at: t)
        return verdict
    }

    /// A byte-stream segment: `.queueFull` changes nothing and is not counted (the reader waits).
    func offerSegment(bytes: Int, at t: Double) -> ShaperVerdict {
        if isFull { return .queueFull }
        let retransmissions = shaper.retransmissions
        let verdict = shaper.offer(bytes: bytes, at: t)
        if case .queueFull = verdict { return verdict }
        inFlightBytes += bytes
        meter.record(verdict, bytes: bytes, at: t)
        if shaper.retransmissions > retransmissions { meter.recordRetransmit() }
        return verdict
    }

    /// The far side got `bytes` (or a datagram due to arrive was abandoned: `handed: false`).
    func finished(bytes: Int, handed: Bool = true) {
        inFlightBytes -= bytes
        if handed { meter.delivered(bytes: bytes) }
    }

    func admissionTime(bytes: Int, after t: Double) -> Double {
        shaper.admissionTime(bytes: bytes, after: t)
    }

    func sample() -> LinkSecond {
        let t = now()
        return meter.sample(at: t, backlogBits: shaper.backlogBits(at: t))
    }

    func summary() -> LinkSummary {
        meter.summary(at: now())
    }
}

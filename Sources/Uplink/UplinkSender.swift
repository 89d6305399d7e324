import BitrateControl
import Dispatch
import Foundation
import StreamHub

/// The sender thread: takes encoded units from the budget-bounded queue and hands them to the
/// transport; every `sampleInterval` it reads the transport and the queue into a `LinkSample`,
/// asks the controller, and publishes the decision for the encoder. It also writes the
/// `--stats` lines.
///
/// Not Sendable: owns the transport and the controller.
final class UplinkSender {
    let transport: any UplinkTransport
    var controller: RateController
    let control: UplinkControl
    let queue: HandOffQueue<SendBudgetPolicy>
    let stats: UplinkStatsWriter?
    var sampleInterval = 0.025
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastSample = -1.0
    private var lastStats = -1.0
    private var skipping = false
    private var skipped = 0
    private var budgetDrops = 0
    private var window: [(t: Double, bytes: Int)] = []
    private var lastSignals = TransportSignals()
    private var lastLocal = (bytes: 0, micros: Int64(0), dropped: 0)
    private(set) var summary = UplinkSummary()

    init(transport: any UplinkTransport, controller: RateController, control: UplinkControl,
         queue: HandOffQueue<SendBudgetPolicy>, stats: UplinkStatsWriter?) {
        self.transport = transport
        self.controller = controller
        self.control = control
        self.queue = queue
        self.stats = stats
        summary.minTargetKbps = controller.current.bitrateKbps
        summary.maxTargetKbps = controller.current.bitrateKbps
    }

    var now: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    func run() throws {
        defer {
            tick(force: true)
            transport.finish()
            summary.seconds = now
            summary.droppedFrames = lastLocal.dropped + skipped
            summary.sentBytes = lastSignals.deliveredBytesTotal ?? lastSignals.sentBytesTotal
        }
        while true {
            transport.service()
            tick(force: false)
            guard let unit = queue.pop(timeout: .milliseconds(10)) else {
                if queue.isClosed { return }
                continue
            }
            taken.append((now, unit.data.count))
            if unit.kind == .video {
                if skipping && !unit.isKeyframe {
                    skipped += 1
                    continue
                }
                skipping = false
                summary.framesSent += 1
            }
            try transport.send(unit) {
                transport.service()
                tick(force: false)
            }
        }
    }

    /// Samples the link, asks the controller, writes stats: as often as their intervals say.
    private func tick(force: Bool) {
        let t = now
        if force || t - lastSample >= sampleInterval {
            lastSample = t
            sample(at: t)
        }
        if let stats, force || t - lastStats >= 0.1 {
            lastStats = t
            stats.write(line(at: t))
        }
    }

    private func sample(at t: Double) {
        let signals = transport.signals()
        let local = queue.withPolicy { (bytes: $0.bytes, micros: $0.queuedMicros, dropped: $0.droppedVideoFrames) }
        if local.dropped > lastLocal.dropped {
            // The queue overflowed its budget and skips to the next keyframe: ask for one now.
            control.requestKeyframe()
        }
        lastSignals = signals
        lastLocal = local
        var transportMs = signals.queuedMs
        // TCP: the kernel's bytes at the path's rate, or at what was delivered lately when the
        // estimate was app-limited.
        if transportMs == nil, let rate = signals.deliveryRateKbps ?? (recentKbps > 0 ? recentKbps : nil) {
            transportMs = Double(signals.queuedBytes) * 8 / rate
        }
        let sample = LinkSample(time: t, rttMs: signals.rttMs, queuedBytes: local.bytes + signals.queuedBytes,
                                queuedMs: Double(local.micros) / 1000 + (transportMs ?? 0),
                                // The controller reads sent − queued as delivered: count what waits here as handed over.
                                sentBytesTotal: signals.sentBytesTotal + local.bytes, deliveryRateKbps: signals.deliveryRateKbps,
                                lossRate: signals.lossRate, retransmitsTotal: signals.retransmitsTotal,
                                ackedBytesTotal: signals.ackedBytesTotal)
        let decision = controller.update(sample, now: t)
        control.set(decision)
        if decision.dropToKeyframe && !skipping {
            skipping = true
            control.requestKeyframe()
        }
        summary.minTargetKbps = min(summary.minTargetKbps, decision.bitrateKbps)
        summary.maxTargetKbps = max(summary.maxTargetKbps, decision.bitrateKbps)
        summary.finalTargetKbps = decision.bitrateKbps
        window.append((t, signals.deliveredBytesTotal ?? signals.sentBytesTotal))
        window.removeAll { t - $0.t > 1.0 }
        lastQueueMs = sample.queuedMs ?? 0
    }

    private var lastQueueMs = 0.0
    /// Media bytes taken from the encoder's queue (time, bytes), the last second.
    private var taken: [(t: Double, bytes: Int)] = []

    /// kbit/s of media the encoder handed over in the last second: below the target when the
    /// picture is simple (x264 under VBV rarely fills it).
    private var encodedKbps: Double {
        let t = now
        taken.removeAll { t - $0.t > 1.0 }
        return Double(taken.reduce(0) { $0 + $1.bytes }) * 8 / 1000
    }

    /// Delivered kbit/s over the last second of samples.
    private var recentKbps: Double {
        guard let first = window.first, let last = window.last, last.t > first.t else { return 0 }
        return Double(last.bytes - first.bytes) * 8 / 1000 / (last.t - first.t)
    }

    private func line(at t: Double) -> UplinkStatsLine {
        let kbps = recentKbps
        let decision = control.decision
        return UplinkStatsLine(t: t, targetKbps: decision.bitrateKbps, sentKbps: kbps, queueMs: lastQueueMs,
                               queuedBytes: lastLocal.bytes + lastSignals.queuedBytes, rttMs: lastSignals.rttMs,
                               step: decision.step, droppedFrames: lastLocal.dropped + skipped,
                               deliveryKbps: lastSignals.deliveryRateKbps, transportQueueMs: lastSignals.queuedMs,
                               lossRate: lastSignals.lossRate, encodedKbps: encodedKbps, phase: controller.phase)
    }
}

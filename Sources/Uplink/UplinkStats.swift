import BitrateControl
import Foundation

/// One `--stats` line (JSON), every 100 ms.
struct UplinkStatsLine: Encodable {
    var t: Double
    var targetKbps: Int
    var sentKbps: Double
    var queueMs: Double
    var queuedBytes: Int
    var rttMs: Double?
    var step: QualityStep
    var droppedFrames: Int
    /// The transport's raw signals, to see what the controller saw: its delivery rate (RTMP:
    /// acknowledged by the server; SRT: the bandwidth estimate), SRT msSndBuf, send loss.
    var deliveryKbps: Double? = nil
    var transportQueueMs: Double? = nil
    var lossRate: Double? = nil
    /// Media the sender took from the encoder over the last second (x264 may undershoot its target).
    var encodedKbps: Double? = nil
    /// The sluice policy's phase (cruise, probe, drain) at this line.
    var phase: String? = nil

    enum CodingKeys: String, CodingKey {
        case t, step
        case targetKbps = "target_kbps", sentKbps = "sent_kbps", queueMs = "queue_ms", queuedBytes = "queued_bytes"
        case rttMs = "rtt_ms", droppedFrames = "dropped_frames"
        case deliveryKbps = "delivery_kbps", transportQueueMs = "transport_queue_ms", lossRate = "loss", encodedKbps = "media_kbps"
        case phase
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode((t * 1000).rounded() / 1000, forKey: .t)
        try c.encode(targetKbps, forKey: .targetKbps)
        try c.encode(sentKbps.rounded(), forKey: .sentKbps)
        try c.encode((queueMs * 10).rounded() / 10, forKey: .queueMs)
        try c.encode(queuedBytes, forKey: .queuedBytes)
        try c.encode(rttMs.map { ($0 * 10).rounded() / 10 }, forKey: .rttMs)
        let name = switch step {
        case .full: "full"
        case .halfFrameRate: "half_frame_rate"
        case .reducedResolution: "reduced_resolution"
        }
        try c.encode(name, forKey: .step)
        try c.encode(droppedFrames, forKey: .droppedFrames)
        try c.encodeIfPresent(deliveryKbps.map { $0.rounded() }, forKey: .deliveryKbps)
        try c.encodeIfPresent(transportQueueMs, forKey: .transportQueueMs)
        try c.encodeIfPresent(lossRate.map { ($0 * 1000).rounded() / 1000 }, forKey: .lossRate)
        try c.encodeIfPresent(encodedKbps.map { $0.rounded() }, forKey: .encodedKbps)
        try c.encodeIfPresent(phase, forKey: .phase)
    }
}

/// The push's totals: the last `--stats` line, and what `sluice push` prints on exit.
public struct UplinkSummary: Encodable, Sendable {
    public var seconds = 0.0
    public var framesSent = 0
    public var droppedFrames = 0
    public var sentBytes = 0
    public var minTargetKbps = 0
    public var maxTargetKbps = 0
    public var finalTargetKbps = 0
    /// Pictures the encoder could not take in time (the source never waits for it).
    public var encoderDroppedFrames = 0
    /// Pictures skipped on purpose at half frame rate.
    public var decimatedFrames = 0

    public var meanKbps: Double { seconds > 0 ? Double(sentBytes) * 8 / 1000 / seconds : 0 }

    enum CodingKeys: String, CodingKey {
        case summary, seconds, framesSent = "frames_sent", droppedFrames = "dropped_frames", sentBytes = "sent_bytes"
        case meanKbps = "mean_kbps", minTargetKbps = "min_target_kbps", maxTargetKbps = "max_target_kbps"
        case finalTargetKbps = "final_target_kbps", encoderDroppedFrames = "encoder_dropped_frames"
        case decimatedFrames = "decimated_frames"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(true, forKey: .summary)
        try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try c.encode(framesSent, forKey: .framesSent)
        try c.encode(droppedFrames, forKey: .droppedFrames)
        try c.encode(sentBytes, forKey: .sentBytes)
        try c.encode(meanKbps.rounded(), forKey: .meanKbps)
        try c.encode(minTargetKbps, forKey: .minTargetKbps)
        try c.encode(maxTargetKbps, forKey: .maxTargetKbps)
        try c.encode(finalTargetKbps, forKey: .finalTargetKbps)
        try c.encode(encoderDroppedFrames, forKey: .encoderDroppedFrames)
        try c.encode(decimatedFrames, forKey: .decimatedFrames)
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Writes the `--stats` file: JSON lines, flushed as written (a benchmark tails it).
final class UplinkStatsWriter: Sendable {
    private let handle: FileHandle

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw UplinkError("cannot write the stats file \(path)")
        }
        handle = h
    }

    func write(_ line: UplinkStatsLine) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(line) else { return }
        handle.write(data + Data("\n".utf8))
    }

    func write(summary: UplinkSummary) {
        handle.write(Data((summary.json + "\n").utf8))
    }
}

import Foundation

/// The three chunk QoE metrics of the Pensieve papers and the per-trace summary the bench prints.
public enum QoEMetric: String, Sendable, CaseIterable {
    case lin, log, hd

    /// q(R) per level.
    public func quality(_ bitratesKbps: [Double], _ level: Int) -> Double {
        switch self {
        case .lin: return bitratesKbps[level] / 1000
        case .log: return Foundation.log(bitratesKbps[level] / bitratesKbps[0])
        case .hd:
            let table: [Double] = [1, 2, 3, 12, 15, 20]
            return level < table.count ? table[level] : table[table.count - 1]
        }
    }

    /// Penalty per second of rebuffering.
    public var rebufferPenalty: Double {
        switch self {
        case .lin: 4.3
        case .log: 2.66
        case .hd: 8
        }
    }
}

/// Mean figures of a policy over one trace (chunks 2…n, as the papers count) or over many.
public struct ChunkScore: Sendable, Equatable {
    public var qoeLin = 0.0
    public var qoeLog = 0.0
    public var qoeHD = 0.0
    public var bitrateKbps = 0.0
    public var rebufferRatio = 0.0
    public var switches = 0.0

    public init() {}

    public init(chunks: [ChunkSimulator.Chunk], bitratesKbps: [Double], chunkSeconds: Double) {
        guard chunks.count > 1 else { return }
        func qoe(_ m: QoEMetric) -> Double {
            var total = 0.0
            for i in 1..<chunks.count {
                let q = m.quality(bitratesKbps, chunks[i].level)
                let previous = m.quality(bitratesKbps, chunks[i - 1].level)
                total += q - m.rebufferPenalty * chunks[i].rebufferSeconds - abs(q - previous)
            }
            return total / Double(chunks.count - 1)
        }
        qoeLin = qoe(.lin)
        qoeLog = qoe(.log)
        qoeHD = qoe(.hd)
        var bitrate = 0.0
        var rebuffer = 0.0
        var switches = 0
        for i in 1..<chunks.count {
            bitrate += bitratesKbps[chunks[i].level]
            rebuffer += chunks[i].rebufferSeconds
            if chunks[i].level != chunks[i - 1].level { switches += 1 }
        }
        bitrateKbps = bitrate / Double(chunks.count - 1)
        let played = Double(chunks.count - 1) * chunkSeconds
        rebufferRatio = rebuffer / (played + rebuffer)
        self.switches = Double(switches)
    }

    /// The mean of per-trace scores.
    public static func mean(_ scores: [ChunkScore]) -> ChunkScore {
        var m = ChunkScore()
        guard !scores.isEmpty else { return m }
        let n = Double(scores.count)
        for s in scores {
            m.qoeLin += s.qoeLin / n
            m.qoeLog += s.qoeLog / n
            m.qoeHD += s.qoeHD / n
            m.bitrateKbps += s.bitrateKbps / n
            m.rebufferRatio += s.rebufferRatio / n
            m.switches += s.switches / n
        }
        return m
    }
}

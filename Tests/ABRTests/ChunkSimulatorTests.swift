import ABR
import Foundation
import Testing

@Suite struct ChunkSimulatorTests {
    /// The correctness gate of shared/data/abr/README.md: Pensieve's BBA on the HSDPA test set.
    @Test func bbaOnHSDPATestScoresThePublished0_6392() throws {
        let traces = try Trace.loadFolder(hsdpaTestFolder)
        #expect(traces.count == 142)
        let simulator = ChunkSimulator()
        var bba = BBA()
        let scores = traces.map {
            ChunkScore(chunks: simulator.run(&bba, on: $0), bitratesKbps: simulator.bitratesKbps, chunkSeconds: 4)
        }
        let qoe = ChunkScore.mean(scores).qoeLin
        #expect((qoe * 10_000).rounded() == 6392, "QoE_lin \(qoe)")
    }

    /// 8 Mbit/s = 1 MB/s, of which 95 % is payload; every chunk pays 80 ms.
    @Test func downloadTimeRebufferAndBufferFollowPensieve() throws {
        let trace = try Trace.parse("0 8\n1 8\n", name: "flat")
        var fixed = FixedLevel(level: 0)
        let chunks = ChunkSimulator().run(&fixed, on: trace)
        #expect(chunks.count == 48)
        let first = 450_283.0 / 950_000 * 1000 + 80  // level 1 (750 kbit/s), chunk 0
        #expect(abs(chunks[0].delayMs - first) < 1e-6)
        #expect(abs(chunks[0].rebufferSeconds - first / 1000) < 1e-9)
        let second = 155_580.0 / 950_000 * 1000 + 80  // level 0, chunk 1
        #expect(chunks[1].level == 0 && abs(chunks[1].delayMs - second) < 1e-6 && chunks[1].rebufferSeconds == 0)
        // The first chunk rebuffered, so it leaves exactly 4 s; the second spends `second` of them.
        #expect(chunks[0].bufferSeconds == 4)
        #expect(abs(chunks[1].bufferSeconds - (4 - second / 1000 + 4)) < 1e-9)
        // Downloads outpace playback: the buffer stops at the 60 s cap (500 ms sleeps).
        #expect(chunks.allSatisfy { $0.bufferSeconds <= 60 })
        #expect(chunks[47].bufferSeconds > 59)
    }

    /// Score of a run at level 0 after the first chunk: q = 0.3 per chunk, one switch 0.75 → 0.3.
    @Test func qoeCountsChunksTwoToTheEnd() throws {
        let trace = try Trace.parse("0 8\n1 8\n", name: "flat")
        var fixed = FixedLevel(level: 0)
        let s = ChunkScore(chunks: ChunkSimulator().run(&fixed, on: trace), bitratesKbps: ChunkSimulator.envivioKbps, chunkSeconds: 4)
        #expect(abs(s.qoeLin - (47 * 0.3 - 0.45) / 47) < 1e-12)
        #expect(s.switches == 1 && s.rebufferRatio == 0 && s.bitrateKbps == 300)
    }
}

import Foundation
import LatencyProbe
import Testing
import TestSupport

/// The probe through the whole server: a stamping publisher pushes RTMP; the stamps come out
/// of the LL-HLS source rendition, of a transcoded rung (SEI kept through decode/encode), and of
/// RTMP play. Reported, not asserted against a speed: speed goals live in benchmarks.
@Suite(.serialized) struct LatencyProbeEndToEndTests {
    @Test func stampsSurviveEveryPathAndGivePositiveDelays() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        var publisher = StampingPublisher(url: "rtmp://127.0.0.1:\(h.server.rtmpPort!)/live/probe")
        publisher.width = 640
        publisher.height = 360
        publisher.seconds = 25
        let p = publisher
        // Blocking and real time: on its own thread, never on the cooperative pool the server uses.
        let pushed = Task { try await offPool { try p.run() } }
        defer { pushed.cancel() }

        var master = ""
        for _ in 0..<60 where variantCount(master) < 3 {
            try await Task.sleep(for: .milliseconds(500))
            master = await h.get("live/probe/index.m3u8").body
        }
        #expect(variantCount(master) == 3, "\(master)")
        let url = URL(string: h.url("live/probe/index.m3u8"))!
        for rendition in ["source", "240p"] {
            let delays = try await HLSLatencyReader(url: url, rendition: rendition).run(seconds: 4)
            let report = try #require(LatencyReport(delays), "no stamps in \(rendition)")
            print("probe LL-HLS \(rendition): \(report.text)")
            #expect(report.count > 30)
            #expect(report.minMs > 0) // a stamp can only arrive after it was made
        }
        let rtmp = StreamLatencyReader(url: "rtmp://127.0.0.1:\(h.server.rtmpPort!)/live/probe")
        let delays = try await offPool { try rtmp.run(seconds: 3) }
        let report = try #require(LatencyReport(delays), "no stamps over RTMP play")
        print("probe RTMP play: \(report.text)")
        #expect(report.count > 30)
        #expect(report.minMs > 0)
    }
}

import Foundation
import HLS
import MediaCore
import StreamHub
import Testing
import TestSupport

/// The `sluice` executable `swift build --build-tests` made next to this test bundle, if any.
let builtSluice: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = root.appendingPathComponent(".build/debug/sluice").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

/// `sluice bench viewers` (the built executable) against the loopback origin.
@Suite(.serialized, .enabled(if: builtSluice != nil, "needs the built sluice executable"))
struct BenchViewersTests {
    @Test func viewersFollowBlockingReloadsAndFetchEveryPart() async throws {
        let hub = StreamHub()
        let registry = HLSRegistry()
        let server = try await LoopbackServer.start(registry)
        let (publisher, feed) = LoopbackClientTests.feed(hub, registry, path: "live/bench")
        let media = LoopbackClientTests.media
        try await LoopbackClientTests.publish(Array(media.units.prefix(40)), to: publisher, speed: 0)
        // Live for longer than the viewers watch: the multivariant playlist is answered once the
        // first segment is complete, then the viewers run their 3 s.
        let pumping = Task {
            try await LoopbackClientTests.publish(Array(media.units.dropFirst(40)), to: publisher, speed: 1)
            for loop in 1..<4 {
                try await LoopbackClientTests.publish(media.shifted(by: 4 * Double(loop), restartTimestamps: false),
                                                      to: publisher, speed: 1)
            }
        }
        let url = server.url("live/bench/index.m3u8")
        let result = try await offPool {
            try run(builtSluice!, ["bench", "viewers", "--url", url, "--count", "5", "--duration", "3", "--json"], timeout: 20)
        }
        pumping.cancel()
        publisher.end()
        await feed.stop()
        registry.remove("live/bench")
        try await server.stop()
        #expect(result.status == 0, "\(result.err)")
        let last = try #require(result.out.split(separator: "\n").last)
        print(result.out)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(report["mode"] as? String == "live")
        #expect(report["errors"] as? Int == 0)
        #expect((report["errors_by_kind"] as? [String: Any])?.isEmpty == true, "errors are counted by kind")
        #expect((report["parts"] as? Int ?? 0) > 0)
        #expect((report["requests"] as? Int ?? 0) > (report["parts"] as? Int ?? 0))
        #expect(report["media_playlist"] as? String == "/live/bench/src/index.m3u8")
        // The keys scripts read, now from histograms merged across viewers.
        for key in ["reload_to_delivery", "part_end_to_delivery", "part_request"] {
            #expect(report["\(key)_ms_p50"] is Double && report["\(key)_ms_p99"] is Double, "\(key)")
        }
        #expect((report["part_request_ms_p50"] as? Double ?? 0) > 0)
        #expect((report["part_request_ms_p99"] as? Double ?? 0) >= (report["part_request_ms_p50"] as? Double ?? 0))
    }
}

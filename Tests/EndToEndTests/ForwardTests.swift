import Foundation
import Config
import Ingest
import Server
import Testing
import TestSupport

/// Restreaming: one Sluice pushes a live path to another over RTMP and SRT at once, while a
/// dead destination retries with backoff and touches nothing else.
@Suite(.serialized) struct ForwardTests {
    @Test func aStreamIsForwardedOverRTMPAndSRTAndADeadDestinationBacksOff() async throws {
        let origin = try await ServerHarness.start()
        let platform = try await ServerHarness.start()
        defer { Task { await origin.stop(); await platform.stop() } }
        let push = try origin.rtmpPush(path: "live/show")
        defer { push.kill() }

        let fw = origin.server.forwarding
        try fw.add(path: "live/show", url: "rtmp://127.0.0.1:\(platform.server.rtmpPort!)/live/{name}-rtmp")
        try fw.add(path: "live/show", rendition: "240p", url: "srt://127.0.0.1:\(platform.server.srtPort!)?streamid=live/show-srt")
        // Nothing listens on a port we just closed: connection refused, over and over.
        let dead = try fw.add(path: "live/show", url: "rtmp://127.0.0.1:\(try ClosedPort.make())/live/secretkey")
        #expect(!dead.url.contains("secretkey"), "the stream key is masked: \(dead.url)")

        // The other server gets both as live streams and packages them.
        #expect(await eventually(within: 40) {
            (platform.server.hub.stream("live/show-rtmp")?.unitsIn ?? 0) > 50 && (platform.server.hub.stream("live/show-srt")?.unitsIn ?? 0) > 50
        }, "forwards: \(fw.statuses)")
        let rtmpCopy = platform.server.hub.stream("live/show-rtmp")?.tracks.first { $0.kind == .video }
        let srtCopy = platform.server.hub.stream("live/show-srt")?.tracks.first { $0.kind == .video }
        #expect(rtmpCopy?.width == 640 && srtCopy?.height == 240, "\(String(describing: rtmpCopy)) \(String(describing: srtCopy))")
        #expect(await eventually(within: 30) { fw.statuses.first { $0.id == dead.id }.map { $0.errors >= 2 } ?? false })
        let statuses = fw.statuses
        #expect(statuses.filter { $0.state == .live }.count == 2, "\(statuses)")
        let failing = try #require(statuses.first { $0.id == dead.id })
        #expect(failing.state == .backoff && failing.lastError?.contains("secretkey") == false, "\(failing)")
        // The dead destination cost the origin nothing: its own viewers still get the stream.
        #expect(await origin.get("live/show/index.m3u8").status == 200)
        #expect(push.isRunning)

        #expect(fw.remove(id: dead.id))
        #expect(fw.statuses.count == 2)
    }

    @Test func aPathRuleForwardsEveryMatchingPublish() async throws {
        let platform = try await ServerHarness.start(ladder: "240p:250k")
        let port = platform.server.rtmpPort!
        let origin = try await ServerHarness.start(ladder: "240p:250k") { config in
            var rule = SluiceConfig.PathRule(match: "shop/*")
            rule.forward = ["rtmp://127.0.0.1:\(port)/mirror/{name}"]
            config.file.paths = [rule]
        }
        defer { Task { await origin.stop(); await platform.stop() } }
        let push = try origin.rtmpPush(path: "shop/shoes")
        defer { push.kill() }
        #expect(await eventually(within: 40) { (platform.server.hub.stream("mirror/shoes")?.unitsIn ?? 0) > 50 },
                "forwards: \(origin.server.forwarding.statuses)")
        #expect(origin.server.forwarding.statuses.map(\.path) == ["shop/shoes"])
    }

    @Test func badDestinationsAreRefused() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        #expect(throws: Forwarding.AddError.self) { try h.server.forwarding.add(path: "live/x", url: "http://example.com/x") }
        #expect(throws: Forwarding.AddError.self) { try h.server.forwarding.add(path: "live/../x", url: "rtmp://h/app/k") }
    }
}

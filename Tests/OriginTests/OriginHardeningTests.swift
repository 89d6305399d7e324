import CMediaShims
import Foundation
import HLS
import Hummingbird
import NIOCore
import Origin
import Synchronization
import Testing
import TestSupport

/// What one client may cost the origin, through real sockets: back-pressure, timeouts, the
/// request size, the connection limit; early viewers; answers held across shutdown.
@Suite(.serialized) struct OriginHardeningTests {
    static let media = TestMedia.fourSeconds

    static func live(_ registry: HLSRegistry, _ path: String, configuration: HLSConfiguration = HLSConfiguration(),
                     fraction: Double = 1) throws -> HLSRendition {
        let r = try registry.stream(path: path, configuration: configuration).rendition(name: "src", tracks: media.tracks, isSource: true)
        for u in media.units.prefix(Int(Double(media.units.count) * fraction)) { try r.write(u) }
        return r
    }

    /// Pipelines 1,500 segment GETs (12 MB of requests, 75 MB of answers) without reading;
    /// true once all requests were written (the origin read them all).
    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
    }

    static func pipelineWithoutReading(_ client: RawHTTPClient, segment: Segment, path: String) -> Flag {
        let request = "GET /\(path)/src/seg\(segment.msn).m4s HTTP/1.1\r\nHost: t\r\nX-Pad: \(String(repeating: "p", count: 8_000))\r\n\r\n"
        let written = Flag()
        client.channel.writeAndFlush(ByteBuffer(string: String(repeating: request, count: 1_500))).whenSuccess {
            written.value.store(true, ordering: .relaxed)
        }
        return written
    }

    @Test func aClientThatPipelinesWithoutReadingStopsTheOriginReading() async throws {
        let registry = HLSRegistry(joinWait: .zero)
        let r = try Self.live(registry, "live/pipe")
        let segment = try #require(r.timeline.segments.first { $0.complete })
        let server = try await LoopbackServer.start(registry)
        let client = try await RawHTTPClient.connect(port: server.port, reading: false)
        let written = Self.pipelineWithoutReading(client, segment: segment, path: "live/pipe")
 for _ in 0..<300 where !written.isSet { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!written.isSet, "the origin must stop reading while its answers are not read")
        // Others are still served; the stalled client gets its answers, in order, once it reads.
        let other = try await RawHTTPClient.connect(port: server.port)
        try await other.send("GET /live/pipe/src/init0.mp4 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await other.responses(1).first?.status == 200)
        try await client.startReading()
        let answers = await client.responses(5, seconds: 20)
        #expect(answers.count >= 5)
        #expect(answers.allSatisfy { $0.status == 200 && $0.headers["content-length"] == "\(segment.byteCount)" })
        await client.close()
        await other.close()
        registry.remove("live/pipe")
        try await server.stop()
    }

    /// The issue's case: five connections pipeline 2,000 segment GETs each and never read.
    /// Before: every answer was queued in memory (633 MB with these 47 KB segments).
    @Test func fiveClientsPipeliningTwoThousandSegmentGETsCostLittleMemory() async throws {
        let registry = HLSRegistry(joinWait: .zero)
        let r = try Self.live(registry, "live/mem")
        let segment = try #require(r.timeline.segments.first { $0.complete })
        let server = try await LoopbackServer.start(registry)
        let before = Int(sluice_heap_bytes_in_use())
        var clients: [RawHTTPClient] = []
        for _ in 0..<5 {
            let c = try await RawHTTPClient.connect(port: server.port, reading: false)
            let request = "GET /live/mem/src/seg\(segment.msn).m4s HTTP/1.1\r\nHost: t\r\n\r\n"
            c.channel.writeAndFlush(ByteBuffer(string: String(repeating: request, count: 2_000)), promise: nil)
            clients.append(c)
        }
        // Sampled for 3 s (the unbounded origin got there in well under 1 s); a wide bound,
        // as other suites allocate in this process too.
        var peak = 0
        for _ in 0..<30 {
            try await Task.sleep(for: .milliseconds(100))
            peak = max(peak, Int(sluice_heap_bytes_in_use()) - before)
        }
        #expect(peak < 150_000_000, "heap grew \(peak / 1_000_000) MB")
        for c in clients { await c.close() }
        registry.remove("live/mem")
        try await server.stop()
    }

    @Test func aClientThatNeverReadsIsClosedAfterTheWriteStallTimeout() async throws {
        let registry = HLSRegistry(joinWait: .zero)
        let r = try Self.live(registry, "live/stall")
        let segment = try #require(r.timeline.segments.first { $0.complete })
        let server = try await LoopbackServer.start(registry, limits: OriginLimits(writeStallTimeout: .milliseconds(500)))
        let client = try await RawHTTPClient.connect(port: server.port, reading: false)
        _ = Self.pipelineWithoutReading(client, segment: segment, path: "live/stall")
        #expect(await client.waitUntilClosed(seconds: 10))
        registry.remove("live/stall")
        try await server.stop()
    }

    @Test func aRequestHeadSentSlowlyIsCutOff() async throws {
        let registry = HLSRegistry(joinWait: .zero)
        let server = try await LoopbackServer.start(registry, limits: OriginLimits(requestTimeout: .milliseconds(500)))
        let client = try await RawHTTPClient.connect(port: server.port)
        // One byte every 100 ms, as slowloris does: the head would take 4 s.
        let trickle = Task {
            for c in "GET /live/cam/src/init0.mp4 HTTP/1.1\r\n\r\n" where !client.isClosed {
                try? await client.send(String(c))
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(await client.waitUntilClosed(seconds: 10))
        #expect(client.receivedNothing)
        trickle.cancel()
        try await server.stop()
    }

    @Test func anIdleKeepAliveIsClosedButAHeldBlockingReloadIsNot() async throws {
        let registry = HLSRegistry(joinWait: .zero)
        let r = try Self.live(registry, "live/held", configuration: HLSConfiguration(targetDuration: 1), fraction: 0.5)
        let server = try await LoopbackServer.start(registry, limits: OriginLimits(requestTimeout: .milliseconds(300),
                                                                                   idleTimeout: .milliseconds(300)))
        let idle = try await RawHTTPClient.connect(port: server.port)
        try await idle.send("GET /live/held/src/init0.mp4 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await idle.responses(1).first?.status == 200)
        #expect(await idle.waitUntilClosed(seconds: 10), "an idle keep-alive connection is closed")

        // Held for 3 × target duration (3 s), ten times the idle timeout: answered 503, not cut off.
        let held = try await RawHTTPClient.connect(port: server.port)
        try await held.send("GET /live/held/src/index.m3u8?_HLS_msn=\(r.timeline.lastMSN + 1) HTTP/1.1\r\nHost: t\r\n\r\n")
        let answer = await held.responses(1, seconds: 15)
        #expect(answer.first?.status == 503)
        await held.close()
        registry.remove("live/held")
        try await server.stop()
    }

    @Test func aRequestLargerThanTheBoundIsCutOff() async throws {
        let registry = HLSRegistry(joinWait: .zero)
        let server = try await LoopbackServer.start(registry)
        let client = try await RawHTTPClient.connect(port: server.port)
        // A 100 MB body nobody asked for (NIO's decoder bounds the head; the body was drained forever).
        try await client.send("POST /api/v1/bitrate HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n")
        let send = Task {
            for _ in 0..<64 where !client.isClosed { try? await client.send(String(repeating: "a", count: 16 * 1024)) }
        }
        await send.value
        #expect(await client.waitUntilClosed(seconds: 10))
        try await server.stop()
    }

    @Test func theConnectionLimitHoldsNewConnectionsUntilOneCloses() async throws {
        let registry = HLSRegistry(joinWait: .zero)
        let server = try await LoopbackServer.start(registry, limits: OriginLimits(maxConnections: 2)) { router in
            router.get("/healthz") { _, _ in "ok\n" }
        }
        let health = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        let a = try await RawHTTPClient.connect(port: server.port)
        let b = try await RawHTTPClient.connect(port: server.port)
        try await a.send(health)
        try await b.send(health)
        #expect(await a.responses(1).first?.status == 200)
        #expect(await b.responses(1).first?.status == 200)
        let c = try await RawHTTPClient.connect(port: server.port) // waits in the backlog
        try await c.send(health)
        try await a.send(health)
        #expect(await a.responses(2).count == 2, "open connections keep being served")
        #expect(c.receivedNothing, "connection 3 of 2 is not served while the limit is full")
        await a.close()
        #expect(await c.responses(1).first?.status == 200, "served once a connection closed")
        await b.close()
        await c.close()
        try await server.stop()
    }

    @Test func aViewerWhoComesEarlyGetsThePlaylistOnceTheShowStarts() async throws {
        let registry = HLSRegistry(joinWait: .seconds(20))
        let server = try await LoopbackServer.start(registry)
        let client = try await RawHTTPClient.connect(port: server.port)
        try await client.send("GET /live/early/index.m3u8 HTTP/1.1\r\nHost: t\r\n\r\n")
        for _ in 0..<500 where registry.heldJoinCount < 1 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(registry.heldJoinCount == 1)
        _ = try Self.live(registry, "live/early")
        let answer = await client.responses(1, seconds: 15)
        #expect(answer.first?.status == 200)
        #expect(answer.first?.body.contains("#EXT-X-STREAM-INF") == true)
        await client.close()
        registry.remove("live/early")
        try await server.stop()
    }

    @Test func aPathThatDoesNotGoLiveIs404WithRetryAfterAndHeldRequestsAreCapped() async throws {
        let registry = HLSRegistry(joinWait: .milliseconds(500), maxJoinWaiters: 1)
        let server = try await LoopbackServer.start(registry)
        let first = try await RawHTTPClient.connect(port: server.port)
        let second = try await RawHTTPClient.connect(port: server.port)
        try await first.send("GET /live/never/src/index.m3u8 HTTP/1.1\r\nHost: t\r\n\r\n")
        for _ in 0..<500 where registry.heldJoinCount < 1 { try await Task.sleep(for: .milliseconds(10)) }
        try await second.send("GET /live/nope/index.m3u8 HTTP/1.1\r\nHost: t\r\n\r\n")
        let refused = try #require(await second.responses(1).first)
        #expect(refused.status == 404)
        #expect(first.receivedNothing, "the first request is still held: the second was over the cap")
        let late = try #require(await first.responses(1).first)
        #expect(late.status == 404)
        #expect(late.headers["retry-after"] == "5")
        #expect(late.headers["access-control-allow-origin"] == "*")
        await first.close()
        await second.close()
        try await server.stop()
    }

    @Test func shutdownAnswersAHeldReloadWithEndlist() async throws {
        let registry = HLSRegistry(joinWait: .zero)
        let r = try Self.live(registry, "live/bye", fraction: 0.5)
        let server = try await LoopbackServer.start(registry)
        let client = try await RawHTTPClient.connect(port: server.port)
        let latest = try #require(r.timeline.latest)
        try await client.send("GET /live/bye/src/index.m3u8?_HLS_msn=\(latest.msn)&_HLS_part=\(latest.part + 1) HTTP/1.1\r\nHost: t\r\n\r\n")
        for _ in 0..<500 where r.heldRequestCount < 1 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(r.heldRequestCount == 1)
        let stopping = Task { try await server.stop() }
        let answer = await client.responses(1, seconds: 10)
        #expect(answer.first?.status == 200)
        #expect(answer.first?.body.contains("#EXT-X-ENDLIST") == true)
        #expect(await client.waitUntilClosed(seconds: 10))
        try await stopping.value
    }
}

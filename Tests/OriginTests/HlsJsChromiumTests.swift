import Foundation
import HLS
import MediaCore
import StreamHub
import Testing
import TestSupport

/// Real players on the origin alone (no transcoder): hls.js 1.6.15 in headless Chromium in
/// low-latency mode, and Chromium's native player, which reads the same playlists as plain HLS.
@Suite(.serialized, .enabled(if: Player.isAvailable, "needs Debian chromium"))
struct HlsJsChromiumTests {
    /// Serves `path` from a loopback origin fed in real time (after `preload` loops at once).
    static func withLiveStream(path: String, preload: Int, _ body: (String) async throws -> Void) async throws {
        let hub = StreamHub()
        let registry = HLSRegistry()
        let server = try await LoopbackServer.start(registry)
        let (publisher, feed) = LoopbackClientTests.feed(hub, registry, path: path)
        let media = LoopbackClientTests.media
        for loop in 0..<preload {
            try await LoopbackClientTests.publish(media.shifted(by: 4 * Double(loop), restartTimestamps: false), to: publisher, speed: 0)
        }
        let pumping = Task {
            for loop in preload..<(preload + 5) {
                try await LoopbackClientTests.publish(media.shifted(by: 4 * Double(loop), restartTimestamps: false), to: publisher, speed: 1)
            }
        }
        do {
            try await body(server.url("\(path)/index.m3u8"))
        } catch {
            pumping.cancel()
            throw error
        }
        pumping.cancel()
        publisher.end()
        await feed.stop()
        registry.remove(path)
        try await server.stop()
    }

    @Test func chromiumNativePlayerPlaysItAsPlainHLS() async throws {
        // Complete segments first: the native player has no LL-HLS and needs them.
        try await Self.withLiveStream(path: "live/native", preload: 1) { url in
            let r = try await Player.play(url, seconds: 6, mode: .native)
            print("chromium native: \(r.summary)")
            #expect(r.errors.isEmpty)
            #expect((r.decodedFrames ?? 0) > 0)
            #expect(r.currentTime > 0)
        }
    }

    @Test func hlsJsPlaysTheLiveStreamInLowLatencyMode() async throws {
        try await Self.withLiveStream(path: "live/hlsjs", preload: 0) { url in
            let r = try await Player.play(url, seconds: 6)
            print("hls.js: \(r.summary)")
            #expect(r.version == "1.6.15")
            #expect(r.lowLatencyMode == true)
            #expect(r.partsLoaded > 0)
            #expect(r.blockingReloads > 0)
            #expect((r.decodedFrames ?? 0) > 0)
            #expect(r.fatal == nil, "\(r.errors)")
            // Audio and video of the joined part start together: nothing to seek over.
            #expect(!r.errors.contains { $0.contains("bufferSeekOverHole") }, "\(r.errors)")
        }
    }
}

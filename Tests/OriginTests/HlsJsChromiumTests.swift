import Foundation
import HLS
import MediaCore
import StreamHub
import Testing

/// hls.js 1.6.15 (from the gradio wheel, fetched with pip at test time, never committed) in
/// headless Chromium plays the live stream in low-latency mode: blocking reloads and parts.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "needs Debian chromium"))
struct HlsJsChromiumTests {
    /// Downloads gradio==6.31.0 (no deps) once and extracts its hls.js ES module.
    static func hlsJS(into dir: URL) throws -> URL {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-hlsjs-1.6.15")
        let js = cache.appendingPathComponent("hls.js")
        if !FileManager.default.fileExists(atPath: js.path) {
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            let pip = try run("/usr/bin/env", ["pip", "download", "gradio==6.31.0", "--no-deps", "-q", "-d", cache.path], timeout: 120)
            #expect(pip.status == 0, "pip download gradio==6.31.0: \(pip.err)")
            let wheel = try #require(try FileManager.default.contentsOfDirectory(atPath: cache.path).first { $0.hasSuffix(".whl") })
            let list = try run("/usr/bin/unzip", ["-Z1", cache.appendingPathComponent(wheel).path])
            let member = try #require(list.out.split(separator: "\n").first { $0.hasPrefix("gradio/templates/frontend/assets/hls-") && $0.hasSuffix(".js") })
            let unzip = try run("/usr/bin/unzip", ["-o", "-j", cache.appendingPathComponent(wheel).path, String(member), "-d", cache.path])
            #expect(unzip.status == 0)
            try FileManager.default.moveItem(at: cache.appendingPathComponent(String(member.split(separator: "/").last!)), to: js)
        }
        let target = dir.appendingPathComponent("hls.js")
        try FileManager.default.copyItem(at: js, to: target)
        return target
    }

    static let page = """
    <!doctype html><html><body><video id="v" muted playsinline></video>
    <script type="module">
    const out = (m) => console.log("SLUICE " + m);
    const q = new URLSearchParams(location.search);
    const mod = await import("./hls.js");
    const video = document.getElementById("v");
    const hls = mod.t(video, q.get("src"));
    const Hls = hls.constructor;
    let parts = 0, frags = 0, blocking = 0; const errors = [];
    hls.on(Hls.Events.FRAG_LOADED, (e, d) => { if (d.part) parts++; else frags++; });
    hls.on(Hls.Events.LEVEL_LOADED, (e, d) => { if (d.deliveryDirectives) blocking++; });
    hls.on(Hls.Events.ERROR, (e, d) => { errors.push(d.details + (d.fatal ? "(fatal)" : "")); });
    video.play().catch(e => errors.push("play: " + e));
    setTimeout(() => {
      out("RESULT " + JSON.stringify({ version: Hls.version, lowLatencyMode: hls.lowLatencyMode, currentTime: video.currentTime,
        latency: hls.latency, targetLatency: hls.targetLatency, frames: video.getVideoPlaybackQuality().totalVideoFrames,
        parts, frags, blocking, errors }));
    }, Number(q.get("seconds")) * 1000);
    </script></body></html>
    """

    /// Chromium's own player (no hls.js): it has no LL-HLS support and reads the same
    /// playlists as plain HLS (full segments, EXTINF), which is what legacy players get.
    static let nativePage = """
    <!doctype html><html><body><video id="v" muted playsinline autoplay></video>
    <script>
    const q = new URLSearchParams(location.search);
    const video = document.getElementById("v");
    const errors = [];
    video.onerror = () => errors.push("media error " + (video.error && video.error.code));
    video.src = q.get("src");
    video.play().catch(e => errors.push("play: " + e));
    setTimeout(() => {
      console.log("SLUICE RESULT " + JSON.stringify({ native: video.canPlayType("application/vnd.apple.mpegurl"),
        currentTime: video.currentTime, frames: video.getVideoPlaybackQuality().totalVideoFrames, errors }));
    }, Number(q.get("seconds")) * 1000);
    </script></body></html>
    """

    struct NativeResult: Decodable {
        var native: String
        var currentTime: Double
        var frames: Int
        var errors: [String]
    }

    @Test func chromiumNativePlayerPlaysItAsPlainHLS() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.nativePage.write(to: dir.appendingPathComponent("native.html"), atomically: true, encoding: .utf8)
        let hub = StreamHub()
        let registry = HLSRegistry()
        let server = try await LoopbackServer.start(registry)
        let (publisher, feed) = LoopbackClientTests.feed(hub, registry, path: "live/native")
        let media = LoopbackClientTests.media
        // Two loops at once so complete segments exist (the native player needs them), then real time.
        try await LoopbackClientTests.publish(media.units, to: publisher, speed: 0)
        let pumping = Task {
            for loop in 1..<5 {
                try await LoopbackClientTests.publish(media.shifted(by: 4 * Double(loop), restartTimestamps: false), to: publisher, speed: 1)
            }
        }
        let url = "file://\(dir.path)/native.html?seconds=6&src=\(server.url("live/native/index.m3u8"))"
        let output = try await offPool {
            try runUntil("/usr/bin/chromium", ["--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                               "--autoplay-policy=no-user-gesture-required", "--allow-file-access-from-files",
                                               "--user-data-dir=\(dir.path)/profile", url],
                         marker: "SLUICE RESULT", timeout: 40)
        }
        pumping.cancel()
        publisher.end()
        await feed.stop()
        registry.remove("live/native")
        try await server.stop()
        let line = try #require(output.err.split(separator: "\n").first { $0.contains("SLUICE RESULT ") }, "no result from the page:\n\(output.err.suffix(3000))")
        let json = line.components(separatedBy: "SLUICE RESULT ")[1].components(separatedBy: "\", source:")[0]
            .replacingOccurrences(of: "\\\"", with: "\"")
        let result = try JSONDecoder().decode(NativeResult.self, from: Data(json.utf8))
        print("chromium native: canPlayType \(result.native), currentTime \(result.currentTime), \(result.frames) frames, errors \(result.errors)")
        #expect(result.errors.isEmpty)
        #expect(result.frames > 0)
        #expect(result.currentTime > 0)
    }

    struct Result: Decodable {
        var version: String
        var lowLatencyMode: Bool
        var currentTime: Double
        var latency: Double?
        var targetLatency: Double?
        var frames: Int
        var parts: Int
        var frags: Int
        var blocking: Int
        var errors: [String]
    }

    @Test func hlsJsPlaysTheLiveStreamInLowLatencyMode() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Self.hlsJS(into: dir)
        try Self.page.write(to: dir.appendingPathComponent("page.html"), atomically: true, encoding: .utf8)

        let hub = StreamHub()
        let registry = HLSRegistry()
        let server = try await LoopbackServer.start(registry)
        let (publisher, feed) = LoopbackClientTests.feed(hub, registry, path: "live/hlsjs")
        let media = LoopbackClientTests.media
        let pumping = Task {
            for loop in 0..<5 {
                try await LoopbackClientTests.publish(media.shifted(by: 4 * Double(loop), restartTimestamps: false), to: publisher, speed: 1)
            }
        }
        let url = "file://\(dir.path)/page.html?seconds=6&src=\(server.url("live/hlsjs/index.m3u8"))"
        let output = try await offPool {
            try runUntil("/usr/bin/chromium", ["--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                               "--autoplay-policy=no-user-gesture-required", "--allow-file-access-from-files",
                                               "--user-data-dir=\(dir.path)/profile", url],
                         marker: "SLUICE RESULT", timeout: 40)
        }
        pumping.cancel()
        publisher.end()
        await feed.stop()
        registry.remove("live/hlsjs")
        try await server.stop()

        let line = try #require(output.err.split(separator: "\n").first { $0.contains("SLUICE RESULT ") }, "no result from the page:\n\(output.err.suffix(3000))")
        let json = line.components(separatedBy: "SLUICE RESULT ")[1].components(separatedBy: "\", source:")[0]
            .replacingOccurrences(of: "\\\"", with: "\"")
        let result = try JSONDecoder().decode(Result.self, from: Data(json.utf8))
        print("hls.js \(result.version): errors \(result.errors), currentTime \(result.currentTime), latency \(result.latency ?? -1) s (target \(result.targetLatency ?? -1)), \(result.parts) parts, \(result.blocking) blocking reloads, \(result.frames) frames")
        #expect(result.version == "1.6.15")
        #expect(result.lowLatencyMode)
        #expect(result.parts > 0)
        #expect(result.blocking > 0)
        #expect(result.frames > 0)
        #expect(result.errors.filter { $0.contains("fatal") }.isEmpty, "\(result.errors)")
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HLS
import Testing
import TestSupport

/// Deploy/nginx-edge.conf in front of a Sluice origin: viewers through the edge get the stream,
/// and the origin sees each part once, however many viewers fetched it.
@Suite(.serialized) struct NginxEdgeTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped configuration with its EDIT lines pointed at this test's ports and folders.
    static func edgeConfiguration(originPort: Int, edgePort: Int, dir: URL) throws -> String {
        var conf = try String(contentsOf: repoRoot.appendingPathComponent("Deploy/nginx-edge.conf"), encoding: .utf8)
        let edits = [
            ("pid /run/nginx-sluice-edge.pid;", "pid \(dir.path)/nginx.pid;"),
            ("error_log /var/log/nginx/sluice-edge.error.log warn;", "error_log \(dir.path)/error.log warn;"),
            ("/var/cache/nginx/sluice-edge", "\(dir.path)/cache"),
            ("server 127.0.0.1:8080;", "server 127.0.0.1:\(originPort);"),
            ("listen 8081;", "listen 127.0.0.1:\(edgePort);"),
        ]
        for (from, to) in edits {
            #expect(conf.contains(from), "Deploy/nginx-edge.conf no longer has: \(from)")
            conf = conf.replacingOccurrences(of: from, with: to)
        }
        // As root, nginx would run its workers as nobody, who cannot write this test's folders.
        if geteuid() == 0 { conf = "user root;\n" + conf }
        return conf
    }

    static func get(_ url: String) async -> (status: Int, body: String) {
        guard let u = URL(string: url), let (data, response) = try? await URLSession.shared.data(from: u) else { return (0, "") }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The origin's part requests so far (`sluice_http_requests_total{route="part"}`, every status).
    static func originPartRequests(_ h: ServerHarness) async -> Int {
        let text = await h.request("GET", "metrics").body
        return text.split(separator: "\n").filter { $0.hasPrefix("sluice_http_requests_total{") && $0.contains("route=\"part\"") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0) { $0 + Int($1) }
    }

    /// A low-latency player's requests, without the player: blocking reloads for the next part,
    /// then every listed part not fetched yet. Returns the part URLs it fetched.
    static func follow(_ playlistURL: String, until end: Date) async -> Set<String> {
        let base = String(playlistURL[..<(playlistURL.lastIndex(of: "/") ?? playlistURL.endIndex)])
        var fetched = Set<String>()
        var url = playlistURL
        while Date() < end {
            let answer = await get(url)
            guard answer.status == 200, let playlist = try? PlaylistReader.media(answer.body) else {
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            for segment in playlist.segments.suffix(2) {
                for part in segment.parts where !fetched.contains(part.uri) {
                    _ = await get("\(base)/\(part.uri)")
                    fetched.insert(part.uri)
                }
            }
            guard let latest = playlist.latestPart else { continue }
            url = "\(base)/index.m3u8?_HLS_msn=\(latest.msn)&_HLS_part=\(latest.part + 1)"
        }
        return fetched
    }

    @Test func viewersThroughTheEdgeCostTheOriginOneRequestPerPart() async throws {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let binary = try #require(nginx, "nginx is not installed (make deps installs it)")
        try #require(FileManager.default.fileExists(atPath: "/usr/lib/nginx/modules/ngx_http_lua_module.so"),
                     "nginx's Lua module is not installed (make deps installs libnginx-mod-http-lua)")
        let origin = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await origin.stop() } }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-edge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("cache"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let edgePort = try ClosedPort.make() // free a moment ago
        let conf = dir.appendingPathComponent("nginx.conf")
        try Self.edgeConfiguration(originPort: origin.httpPort, edgePort: edgePort, dir: dir).write(to: conf, atomically: true, encoding: .utf8)
        // Spawned directly with a clean signal mask and stopped with SIGTERM, which ends its
        // workers too (a child of a test thread inherits a blocked mask; Foundation's Process
        // watches a handle that nginx's workers would keep open). Started before any other tool
        // of this test, so it holds none of their handles.
        let edge = try SpawnedServer(binary, ["-c", conf.path, "-p", dir.path, "-g", "daemon off;"])
        defer { edge.stop() }
        let push = try origin.rtmpPush(path: "live/edge")
        defer { push.kill() }
        let edgeURL = "http://127.0.0.1:\(edgePort)"
        #expect(await eventuallyAsync(within: 30) { await Self.get("\(edgeURL)/live/edge/240p/index.m3u8").status == 200 },
                "edge: \((try? String(contentsOf: dir.appendingPathComponent("error.log"), encoding: .utf8)) ?? "")")

        // Six players through the edge for 8 s.
        let before = await Self.originPartRequests(origin)
        let countedBefore = try await OriginRequestCountTests.counters(origin, "live/edge", "240p")
        let end = Date().addingTimeInterval(8)
        let fetched = await withTaskGroup(of: Set<String>.self) { group in
            for _ in 0..<6 { group.addTask { await Self.follow("\(edgeURL)/live/edge/240p/index.m3u8", until: end) } }
            var all: [Set<String>] = []
            for await one in group { all.append(one) }
            return all
        }
        let after = await Self.originPartRequests(origin)
        let countedAfter = try await OriginRequestCountTests.counters(origin, "live/edge", "240p")
        let distinct = fetched.reduce(Set<String>()) { $0.union($1) }
        let viewerRequests = fetched.reduce(0) { $0 + $1.count }
        print("nginx edge: \(fetched.count) players fetched \(viewerRequests) parts (\(distinct.count) distinct); the origin answered \(after - before) part requests",
              "and \(countedAfter.playlists - countedBefore.playlists) playlist requests for \(countedAfter.published - countedBefore.published) parts published")
        #expect(distinct.count > 10, "parts fetched: \(distinct.count)")
        #expect(viewerRequests >= 4 * distinct.count, "the players did not share parts: \(viewerRequests) for \(distinct.count)")
        #expect(after - before <= distinct.count,
                "origin part requests \(after - before) for \(distinct.count) parts (\(viewerRequests) viewer requests)")
        // The origin's own per-rendition counter agrees: at most one request per part of the rendition.
        #expect(countedAfter.parts - countedBefore.parts <= distinct.count,
                "status API: \(countedAfter.parts - countedBefore.parts) part requests for \(distinct.count) parts")

        // hls.js through the edge.
        let report = try await Player.play("\(edgeURL)/live/edge/index.m3u8", seconds: 8)
        #expect(report.fatal == nil && report.partsLoaded > 5 && report.currentTime > 2, "\(report.summary)")
    }
}

/// A server process spawned with an empty signal mask and no standard streams; `stop()` sends
/// SIGTERM and reaps it.
final class SpawnedServer {
    let pid: pid_t

    init(_ binary: String, _ arguments: [String]) throws {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, &attr, argv, environ)
        guard rc == 0 else { throw CocoaError(.executableLoad) }
        self.pid = pid
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

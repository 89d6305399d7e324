import Foundation
import Testing
import Server
import TestSupport

/// Every route Docs/openapi.yaml describes answers on a live server (anything but 404): the
/// file cannot promise a route the server lost, or name one with a typo.
@Suite(.serialized) struct OpenAPIRouteTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// (METHOD, path template) for each operation under `paths:` (two-space path keys, four-space methods).
    static func routes(_ yaml: String) -> [(String, String)] {
        var routes: [(String, String)] = []
        var inPaths = false, current: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:"; current = nil; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                current = String(line.dropFirst(2).dropLast())
            } else if let current, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if ["get", "post", "put", "delete", "patch"].contains(key) { routes.append((key.uppercased(), current)) }
            }
        }
        return routes
    }

    @Test func everyDocumentedRouteAnswers() async throws {
        let yaml = try String(contentsOf: Self.repoRoot.appendingPathComponent("Docs/openapi.yaml"), encoding: .utf8)
        let routes = Self.routes(yaml)
        #expect(routes.count >= 9, "\(routes)")
        // A stand-in module, so /dashboard/hls.mjs answers without the real hls.js.
        let module = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-openapi-\(UUID().uuidString).mjs")
        try Data("export default class Hls {}\n".utf8).write(to: module)
        defer { try? FileManager.default.removeItem(at: module) }
        // POST .../recording writes under a directory of the test's own.
        let recordings = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-openapi-rec-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: recordings) }
        let h = try await ServerHarness.start(ladder: "240p:250k") {
            $0.file.dashboard.hlsjsPath = module.path
            $0.file.recording.directory = recordings.path
        }
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/oa")
        defer { push.kill() }
        #expect(await eventuallyAsync(within: 30) { await h.get("api/v1/streams/live/oa").body.contains("\"publisher\"") })

        // A destination for the forward routes to name (it fails and retries; nothing listens).
        let forward = try h.server.forwarding.add(path: "live/oa", url: "rtmp://127.0.0.1:9/live/x")
        // The kick last: it ends the stream the others describe.
        for (method, template) in routes.sorted(by: { ($0.0 == "DELETE" ? 1 : 0) < ($1.0 == "DELETE" ? 1 : 0) }) {
            let path = String(template.replacingOccurrences(of: "{path}", with: "live/oa")
                .replacingOccurrences(of: "{id}", with: "\(forward.id)").dropFirst())
            let answer = await h.request(method, path)
            #expect(answer.status != nil && answer.status != 404, "\(method) \(template): \(answer.status ?? 0) \(answer.body)")
        }
    }
}

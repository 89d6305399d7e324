import Config
import Foundation
import Hummingbird
import Synchronization

/// The operator's dashboard: `GET /` (one page compiled into the binary from
/// Sources/Server/Dashboard/) and `GET /dashboard/hls.mjs` (hls.js, served by Sluice itself:
/// `dashboard.hlsjsPath`, else `.build/players/hls.js` where `make run` puts it). The page is
/// open; every figure on it comes from `/api/v1`, which needs the operator token.
enum DashboardRoutes {
    static var page: String { String(decoding: PackageResources.dashboard_html, as: UTF8.self) }

    /// hls.js files read once per path (half a megabyte; the page loads it on every visit).
    private static let cache = Mutex<[String: ByteBuffer]>([:])

    static func register(on router: Router<BasicRequestContext>, config: ConfigStore) {
        let page = ByteBuffer(bytes: PackageResources.dashboard_html)
        router.get("/") { _, _ -> Response in
            guard config.current.dashboard.enabled else { return APIReply.error(.notFound, "the dashboard is off (dashboard.enabled)") }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                            body: .init(byteBuffer: page))
        }
        router.get("/dashboard/hls.mjs") { _, _ -> Response in
            let dashboard = config.current.dashboard
            guard dashboard.enabled else { return APIReply.error(.notFound, "the dashboard is off (dashboard.enabled)") }
            let candidates = dashboard.hlsjsPath.map { [$0] } ?? defaultLocations()
            for path in candidates {
                if let body = load(path) {
                    return Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                                    body: .init(byteBuffer: body))
                }
            }
            return APIReply.error(.notFound, "no hls.js on this server (looked at \(candidates.joined(separator: ", "))); "
                                  + "`make run` fetches it, or set dashboard.hlsjsPath")
        }
    }

    /// `.build/players/hls.js` under the working directory (`make run`), and in the build folder
    /// the binary runs from (`.build/release/sluice`, `.build/x86_64-unknown-linux-gnu/debug/sluice`).
    static func defaultLocations() -> [String] {
        var paths = [FileManager.default.currentDirectoryPath + "/.build/players/hls.js"]
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<3 {
            dir = dir.deletingLastPathComponent()
            if dir.lastPathComponent == ".build" {
                let candidate = dir.appendingPathComponent("players/hls.js").path
                if !paths.contains(candidate) { paths.append(candidate) }
                break
            }
        }
        return paths
    }

    private static func load(_ path: String) -> ByteBuffer? {
        if let cached = cache.withLock({ $0[path] }) { return cached }
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return nil }
        let buffer = ByteBuffer(bytes: data)
        cache.withLock { $0[path] = buffer }
        return buffer
    }
}

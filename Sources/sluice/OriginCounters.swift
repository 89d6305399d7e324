import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A Sluice origin's per-rendition request counters (`GET /api/v1/streams/{path}`:
/// `renditions[].partsPublished` and `.requests`), read before and after a viewer run to give
/// the origin's requests per part per rendition: 1 means the edge asked for each part once.
enum OriginCounters {
    struct Rendition: Equatable {
        var partsPublished = 0
        var playlists = 0
        var parts = 0
        var segments = 0
    }

    struct Row {
        var name: String
        var line: String
        var json: [String: Any]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `live/show` of `/live/show/720p/index.m3u8`.
    static func streamPath(ofMediaPlaylist path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.count >= 3 ? parts.dropLast(2).joined(separator: "/") : parts.dropLast().joined(separator: "/")
    }

    /// `720p` of `/live/show/720p/index.m3u8`.
    static func rendition(ofMediaPlaylist path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.count >= 2 ? String(parts[parts.count - 2]) : ""
    }

    static func read(origin: ViewerTarget?, stream: String, token: String) async -> Result<[String: Rendition], Failure> {
        guard let origin else { return .failure(Failure(description: "--origin none")) }
        guard let url = URL(string: "http://\(origin.host):\(origin.port)/api/v1/streams/\(stream)") else {
            return .failure(Failure(description: "bad stream path \(stream)"))
        }
        var request = URLRequest(url: url)
        if !token.isEmpty { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let data: Data, status: Int
        do {
            let (d, response) = try await URLSession.shared.data(for: request)
            (data, status) = (d, (response as? HTTPURLResponse)?.statusCode ?? 0)
        } catch {
            return .failure(Failure(description: "GET \(url): \(error.localizedDescription)"))
        }
        guard status == 200 else {
            let hint = status == 401 ? "; pass --api-token (sluice serve prints it)" : ""
            return .failure(Failure(description: "GET \(url): HTTP \(status)\(hint)"))
        }
        guard let renditions = parse(data) else {
            return .failure(Failure(description: "GET \(url): no renditions with request counters (not a Sluice origin?)"))
        }
        return .success(renditions)
    }

    /// The renditions of one stream's status; nil when the answer has none with counters.
    static func parse(_ data: Data) -> [String: Rendition]? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let renditions = object["renditions"] as? [[String: Any]] else { return nil }
        var out: [String: Rendition] = [:]
        for r in renditions {
            guard let name = r["name"] as? String, let published = r["partsPublished"] as? Int,
                  let requests = r["requests"] as? [String: Any] else { continue }
            out[name] = Rendition(partsPublished: published, playlists: requests["playlists"] as? Int ?? 0,
                                  parts: requests["parts"] as? Int ?? 0, segments: requests["segments"] as? Int ?? 0)
        }
        return out.isEmpty ? nil : out
    }

    /// Per rendition over the window: requests ÷ parts published. The watcher's own playlist
    /// requests (on its rendition) are taken out: they are the measurement's, not the viewers'.
    static func perPart(before: [String: Rendition], after: [String: Rendition], watcher: (rendition: String, requests: Int)) -> [Row] {
        after.keys.sorted().map { name in
            let a = after[name]!, b = before[name] ?? Rendition()
            // A rendition restarted in the window (counters went back): count from zero.
            let restarted = a.partsPublished < b.partsPublished
            let base = restarted ? Rendition() : b
            let published = a.partsPublished - base.partsPublished
            let parts = a.parts - base.parts
            let segments = a.segments - base.segments
            let playlists = max(0, a.playlists - base.playlists - (name == watcher.rendition ? watcher.requests : 0))
            let ratio = { (n: Int) in published > 0 ? Double(n) / Double(published) : 0 }
            let line = "    \(name): " + String(format: "%d parts published; part requests %d = %.2f per part, playlist requests %d = %.2f per part, segment requests %d",
                                                   published, parts, ratio(parts), playlists, ratio(playlists), segments)
            return Row(name: name, line: line, json: [
                "parts_published": published, "part_requests": parts, "playlist_requests": playlists, "segment_requests": segments,
                "part_requests_per_part": ratio(parts), "playlist_requests_per_part": ratio(playlists),
                "media_requests_per_part": ratio(parts + segments),
            ])
        }
    }
}

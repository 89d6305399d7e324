import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HLS
import MediaCore

/// Reads an LL-HLS stream as a low-latency player does (blocking playlist reloads, every new
/// part) and measures, for every stamped frame, the delay from its stamp to the moment the part
/// holding it arrived. Works against any LL-HLS server; a plain HLS server is read by segments.
public struct HLSLatencyReader: Sendable {
    public var url: URL
    /// Variant to read from a multivariant playlist (its NAME), or the first one.
    public var rendition: String?

    public init(url: URL, rendition: String? = nil) {
        self.url = url
        self.rendition = rendition
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    struct ListedPart: Equatable {
        var msn: Int
        var part: Int
        var uri: String
    }

    /// Parts (and, for a playlist without parts, whole segments as part 0) in playlist order,
    /// read with the one M3U8 reader the packager's writer is tested against.
    static func listed(_ playlist: String) -> [ListedPart] {
        guard let media = try? PlaylistReader.media(playlist) else { return [] }
        return media.segments.flatMap { segment -> [ListedPart] in
            if segment.parts.isEmpty {
                return segment.uri.map { [ListedPart(msn: segment.msn, part: 0, uri: $0)] } ?? []
            }
            return segment.parts.enumerated().map { ListedPart(msn: segment.msn, part: $0.offset, uri: $0.element.uri) }
        }
    }

    static func variant(_ playlist: String, named name: String?) -> String? {
        (try? PlaylistReader.multivariant(playlist))?.first { name == nil || $0.name == name }?.uri
    }

    func get(_ url: URL) async throws -> (Data, Int64) {
        let (data, response) = try await URLSession.shared.data(from: url)
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            throw Failure(description: "GET \(url): status \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
        return (data, WallClock.nowMicros())
    }

    /// Reads for `seconds`; returns stamp-to-arrival delays in milliseconds.
    public func run(seconds: Double) async throws -> [Double] {
        var media = url
        let (first, _) = try await get(url)
        let text = String(decoding: first, as: UTF8.self)
        if text.contains("#EXT-X-STREAM-INF") {
            guard let v = Self.variant(text, named: rendition), let u = URL(string: v, relativeTo: url) else {
                throw Failure(description: "no variant \(rendition ?? "") in \(url)")
            }
            media = u.absoluteURL
        }
        let deadline = Date().addingTimeInterval(seconds)
        var delays: [Double] = []
        var last: (msn: Int, part: Int)? = nil
        var query: String? = nil
        while Date() < deadline {
            var components = URLComponents(url: media, resolvingAgainstBaseURL: true)!
            components.percentEncodedQuery = query
            let (body, _) = try await get(components.url!)
            let parts = Self.listed(String(decoding: body, as: UTF8.self))
            guard let newest = parts.last else {
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            // Start at the live edge: backlog parts would measure how old the window is.
            let fresh = last == nil ? [newest] : parts.filter { ($0.msn, $0.part) > (last!.msn, last!.part) }
            for p in fresh {
                guard let u = URL(string: p.uri, relativeTo: media) else { continue }
                let (bytes, arrival) = try await get(u.absoluteURL)
                delays += StampScanner.stamps(in: bytes).map { Double(arrival - $0) / 1000 }
            }
            last = (newest.msn, newest.part)
            query = "_HLS_msn=\(newest.msn)&_HLS_part=\(newest.part + 1)"
            if !String(decoding: body, as: UTF8.self).contains("#EXT-X-PART:") {
                try await Task.sleep(for: .milliseconds(500)) // plain HLS: poll
                query = nil
            }
        }
        return delays
    }
}

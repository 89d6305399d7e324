/// An HLS URL taken apart: `/<app>/<stream>/index.m3u8` (multivariant) or
/// `/<app>/<stream>/<rendition>/<file>`; app names may contain `/`.
enum OriginRequest: Equatable {
    case multivariant(stream: String)
    case mediaPlaylist(stream: String, rendition: String)
    case initSegment(stream: String, rendition: String, id: Int)
    case segment(stream: String, rendition: String, msn: Int)
    case part(stream: String, rendition: String, id: Int)
    case legacyMultivariant(stream: String)
    case legacyPlaylist(stream: String, rendition: String)
    case legacySegment(stream: String, rendition: String, msn: Int)

    /// `isStream` says whether a path is a live stream, to tell a multivariant playlist from a
    /// media playlist.
    init?(path: String, isStream: (String) -> Bool) {
        let comps = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let file = comps.last, comps.count >= 2 else { return nil }
        if file == "index.m3u8" && isStream(comps.dropLast().joined(separator: "/")) {
            self = .multivariant(stream: comps.dropLast().joined(separator: "/"))
            return
        }
        if file == "legacy.m3u8" && isStream(comps.dropLast().joined(separator: "/")) {
            self = .legacyMultivariant(stream: comps.dropLast().joined(separator: "/"))
            return
        }
        guard comps.count >= 3 else { return nil }
        let stream = comps.dropLast(2).joined(separator: "/")
        let rendition = comps[comps.count - 2]
        func number(_ prefix: String, _ suffix: String) -> Int? {
            guard file.hasPrefix(prefix), file.hasSuffix(suffix) else { return nil }
            let digits = file.dropFirst(prefix.count).dropLast(suffix.count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
            return Int(digits)
        }
        if file == "index.m3u8" {
            self = .mediaPlaylist(stream: stream, rendition: rendition)
        } else if file == "legacy.m3u8" {
            self = .legacyPlaylist(stream: stream, rendition: rendition)
        } else if let msn = number("seg", ".ts") {
            self = .legacySegment(stream: stream, rendition: rendition, msn: msn)
        } else if let id = number("part", ".m4s") {
            self = .part(stream: stream, rendition: rendition, id: id)
        } else if let msn = number("seg", ".m4s") {
            self = .segment(stream: stream, rendition: rendition, msn: msn)
        } else if let id = number("init", ".mp4") {
            self = .initSegment(stream: stream, rendition: rendition, id: id)
        } else {
            return nil
        }
    }
}

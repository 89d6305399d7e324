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
        // Substrings and one joined String: this runs for every part request.
        let comps = path.utf8.split(separator: UInt8(ascii: "/")).map { Substring($0) }
        guard let file = comps.last, comps.count >= 2 else { return nil }
        if file == "index.m3u8" || file == "legacy.m3u8" {
            let whole = comps.dropLast().joined(separator: "/")
            if isStream(whole) {
                self = file == "index.m3u8" ? .multivariant(stream: whole) : .legacyMultivariant(stream: whole)
                return
            }
        }
        guard comps.count >= 3 else { return nil }
        let stream = comps.dropLast(2).joined(separator: "/")
        let rendition = String(comps[comps.count - 2])
        func number(_ prefix: String, _ suffix: String) -> Int? {
            guard file.hasPrefix(prefix), file.hasSuffix(suffix) else { return nil }
            let digits = file.utf8.dropFirst(prefix.utf8.count).dropLast(suffix.utf8.count)
            guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
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

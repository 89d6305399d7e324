/// Reads the M3U8 playlists this package writes (and any LL-HLS server's): the model a player
/// needs, for bench viewers and the latency probe. Round-trip tested against `MediaPlaylist`
/// and `MultivariantPlaylist`. Never traps on its input: a line it does not understand is
/// skipped, a playlist without `#EXTM3U` is an error.
public enum PlaylistReader {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public struct Media: Sendable, Equatable {
        public var targetDuration: Int?
        public var partTarget: Double?
        public var mediaSequence = 0
        public var discontinuitySequence = 0
        public var canBlockReload = false
        public var canSkipUntil: Double?
        public var partHoldBack: Double?
        /// Segments replaced by EXT-X-SKIP (a delta update); `segments` start after them.
        public var skippedSegments = 0
        public var segments: [Segment] = []
        /// URI of EXT-X-PRELOAD-HINT:TYPE=PART.
        public var preloadHint: String?
        public var renditionReports: [RenditionReport] = []
        public var ended = false

        /// The newest listed part: its segment's sequence number and index.
        public var latestPart: (msn: Int, part: Int)? {
            guard let s = segments.last(where: { !$0.parts.isEmpty }) else { return nil }
            return (s.msn, s.parts.count - 1)
        }
    }

    public struct Segment: Sendable, Equatable {
        public var msn: Int
        public var discontinuity = false
        /// EXT-X-MAP URI in force for this segment.
        public var map: String?
        public var programDateTime: String?
        public var parts: [Part] = []
        /// EXTINF duration and URI; nil while the segment is still open (parts only).
        public var duration: Double?
        public var uri: String?
    }

    public struct Part: Sendable, Equatable {
        public var duration: Double
        public var uri: String
        public var independent: Bool
    }

    public struct Variant: Sendable, Equatable {
        public var uri: String
        public var bandwidth: Int
        public var averageBandwidth: Int?
        public var codecs: String?
        public var resolution: String?
        public var frameRate: Double?
        public var name: String?
    }

    /// Playlists larger than this are refused (ours stay far below it).
    public static let maxBytes = 4 << 20

    /// Whether `text` is a multivariant playlist.
    public static func isMultivariant(_ text: String) -> Bool {
        text.contains("#EXT-X-STREAM-INF")
    }

    public static func media(_ text: String) throws -> Media {
        let lines = try self.lines(text)
        var m = Media()
        var current: Segment?
        var map: String?
        var pendingDuration: Double? // set by EXTINF (0 when unreadable) until its URI
        var msn: Int?
        func open() -> Segment {
            if let current { return current }
            let seq = msn ?? (m.mediaSequence + m.skippedSegments)
            return Segment(msn: seq, map: map)
        }
        for line in lines {
            if let v = value(line, "#EXT-X-TARGETDURATION:") {
                m.targetDuration = Int(v)
            } else if let v = value(line, "#EXT-X-PART-INF:") {
                m.partTarget = attributes(v)["PART-TARGET"].flatMap(Double.init)
            } else if let v = value(line, "#EXT-X-MEDIA-SEQUENCE:") {
                m.mediaSequence = sequence(v) ?? 0
            } else if let v = value(line, "#EXT-X-DISCONTINUITY-SEQUENCE:") {
                m.discontinuitySequence = Int(v) ?? 0
            } else if let v = value(line, "#EXT-X-SERVER-CONTROL:") {
                let a = attributes(v)
                m.canBlockReload = a["CAN-BLOCK-RELOAD"] == "YES"
                m.canSkipUntil = a["CAN-SKIP-UNTIL"].flatMap(Double.init)
                m.partHoldBack = a["PART-HOLD-BACK"].flatMap(Double.init)
            } else if let v = value(line, "#EXT-X-SKIP:") {
                m.skippedSegments = attributes(v)["SKIPPED-SEGMENTS"].flatMap { sequence($0[...]) } ?? 0
            } else if line == "#EXT-X-DISCONTINUITY" {
                var s = open()
                s.discontinuity = true
                current = s
            } else if let v = value(line, "#EXT-X-MAP:") {
                map = attributes(v)["URI"]
                if var s = current, s.parts.isEmpty { s.map = map; current = s }
            } else if let v = value(line, "#EXT-X-PROGRAM-DATE-TIME:") {
                var s = open()
                s.programDateTime = String(v)
                current = s
            } else if let v = value(line, "#EXT-X-PART:") {
                let a = attributes(v)
                guard let uri = a["URI"], let d = a["DURATION"].flatMap(Double.init) else { continue }
                var s = open()
                s.parts.append(Part(duration: d, uri: uri, independent: a["INDEPENDENT"] == "YES"))
                current = s
            } else if let v = value(line, "#EXTINF:") {
                pendingDuration = Double(v.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") ?? 0
            } else if let v = value(line, "#EXT-X-PRELOAD-HINT:") {
                let a = attributes(v)
                if a["TYPE"] == "PART" { m.preloadHint = a["URI"] }
            } else if let v = value(line, "#EXT-X-RENDITION-REPORT:") {
                let a = attributes(v)
                if let uri = a["URI"], let lastMSN = a["LAST-MSN"].flatMap(Int.init) {
                    m.renditionReports.append(RenditionReport(uri: uri, lastMSN: lastMSN, lastPart: a["LAST-PART"].flatMap(Int.init) ?? 0))
                }
            } else if line == "#EXT-X-ENDLIST" {
                m.ended = true
            } else if !line.hasPrefix("#"), let duration = pendingDuration {
                var s = open()
                s.duration = duration
                s.uri = String(line)
                m.segments.append(s)
                msn = s.msn + 1
                current = nil
                pendingDuration = nil
            }
        }
        if let current { m.segments.append(current) } // the open segment: parts only
        return m
    }

    public static func multivariant(_ text: String) throws -> [Variant] {
        let lines = try self.lines(text)
        var out: [Variant] = []
        var pending: [String: String]?
        for line in lines {
            if let v = value(line, "#EXT-X-STREAM-INF:") {
                pending = attributes(v)
            } else if let a = pending, !line.hasPrefix("#") {
                out.append(Variant(uri: String(line), bandwidth: a["BANDWIDTH"].flatMap(Int.init) ?? 0,
                                   averageBandwidth: a["AVERAGE-BANDWIDTH"].flatMap(Int.init), codecs: a["CODECS"],
                                   resolution: a["RESOLUTION"], frameRate: a["FRAME-RATE"].flatMap(Double.init), name: a["NAME"]))
                pending = nil
            }
        }
        return out
    }

    /// Non-empty lines, trimmed; the first must be #EXTM3U.
    static func lines(_ text: String) throws -> [Substring] {
        guard text.utf8.count <= maxBytes else { throw Failure(description: "playlist larger than \(maxBytes) bytes") }
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.trimmedSpaces() }
            .filter { !$0.isEmpty }
        guard lines.first == "#EXTM3U" else { throw Failure(description: "not an M3U8 playlist (no #EXTM3U)") }
        return lines
    }

    /// A decimal-integer small enough that numbering segments from it cannot overflow (a server's
    /// `MEDIA-SEQUENCE:9223372036854775807` trapped on the next msn); else unreadable.
    static func sequence(_ v: Substring) -> Int? {
        Int(v).flatMap { (0...(Int.max / 2)).contains($0) ? $0 : nil }
    }

    static func value(_ line: Substring, _ tag: String) -> Substring? {
        line.hasPrefix(tag) ? line.dropFirst(tag.count) : nil
    }

    /// An attribute list (`A=1,B="x,y",C=z`): quoted values lose their quotes and may hold commas.
    static func attributes(_ list: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var rest = list[...]
        while !rest.isEmpty {
            guard let eq = rest.firstIndex(of: "=") else { break }
            let name = String(rest[..<eq])
            rest = rest[rest.index(after: eq)...]
            if rest.first == "\"" {
                rest = rest.dropFirst()
                let close = rest.firstIndex(of: "\"") ?? rest.endIndex
                out[name] = String(rest[..<close])
                rest = close < rest.endIndex ? rest[rest.index(after: close)...] : rest[close...]
                if rest.first == "," { rest = rest.dropFirst() }
            } else {
                let comma = rest.firstIndex(of: ",") ?? rest.endIndex
                out[name] = String(rest[..<comma])
                rest = comma < rest.endIndex ? rest[rest.index(after: comma)...] : rest[comma...]
            }
        }
        return out
    }
}

extension Substring {
    fileprivate func trimmedSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

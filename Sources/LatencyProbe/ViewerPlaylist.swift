#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// One LL-HLS media playlist as `bench viewers` follows it: its parts in order, and what to
/// fetch or reload next.
///
/// Not `PlaylistReader`, on purpose: a 2 KB LL-HLS playlist (3 segments, 26 parts) parses
/// here in ~7–11 µs, with `PlaylistReader.media` in ~0.45–0.5 ms (50–70×; swiftc -O, Linux:
/// Character splitting, `hasPrefix`, attribute dictionaries). 2,500 viewers reload ~10,000
/// times a second: ~5 cores for the reader, a tenth of one for this. Tests check that both
/// read the same parts from the same text; switch once the reader works on bytes.
public struct ViewerPlaylist: Sendable {
    public struct PartRef: Sendable, Equatable {
        public var msn: Int
        public var index: Int
        public var uri: String
        public var duration: Double
        /// PDT of its segment + this and the preceding parts' durations (seconds since the epoch).
        public var endWallClock: Double?
    }
    public var parts: [PartRef] = []
    public var partTarget = 0.25
    public var ended = false

    /// Parses the bytes as they came: String splitting and Foundation searches made the
    /// generator, not the server, the thing being measured.
    public init(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { raw in
            let b = raw.bindMemory(to: UInt8.self)
            var msn = 0
            var index = 0
            var pdt: Double? = nil
            var offset = 0.0
            var start = 0
            while start < b.count {
                var end = start
                while end < b.count && b[end] != 10 { end += 1 }
                let line = UnsafeBufferPointer(rebasing: b[start..<end])
                start = end + 1
                guard !line.isEmpty else { continue }
                if line[0] != 35 { // a URI line ends a segment
                    msn += 1
                    index = 0
                    pdt = nil
                } else if let v = ViewerPlaylist.after(line, "#EXT-X-PART:") {
                    let d = ViewerPlaylist.attribute(v, "DURATION=").map(ViewerPlaylist.number) ?? 0
                    offset += d
                    if let uri = ViewerPlaylist.attribute(v, "URI=\"") {
                        parts.append(PartRef(msn: msn, index: index, uri: String(decoding: uri, as: UTF8.self),
                                             duration: d, endWallClock: pdt.map { $0 + offset }))
                    }
                    index += 1
                } else if let v = ViewerPlaylist.after(line, "#EXT-X-PROGRAM-DATE-TIME:") {
                    pdt = ViewerPlaylist.parseDate(String(decoding: v, as: UTF8.self))
                    offset = 0
                } else if let v = ViewerPlaylist.after(line, "#EXT-X-MEDIA-SEQUENCE:") {
                    msn = Int(ViewerPlaylist.number(v))
                } else if let v = ViewerPlaylist.after(line, "#EXT-X-SKIP:SKIPPED-SEGMENTS=") {
                    msn += Int(ViewerPlaylist.number(v))
                } else if let v = ViewerPlaylist.after(line, "#EXT-X-PART-INF:PART-TARGET=") {
                    partTarget = ViewerPlaylist.number(v)
                } else if ViewerPlaylist.after(line, "#EXT-X-ENDLIST") != nil {
                    ended = true
                }
            }
        }
    }

    /// Parts listed after `fetched` (all of them when nothing was fetched yet).
    public func parts(after fetched: (msn: Int, index: Int)?) -> [PartRef] {
        guard let fetched else { return parts }
        return parts.filter { ($0.msn, $0.index) > fetched }
    }

    /// Where a new viewer starts, like hls.js: a few parts back from the newest. Nil: from the first.
    public var startAfter: (msn: Int, index: Int)? {
        parts.dropLast(3).last.map { ($0.msn, $0.index) }
    }

    /// `_HLS_msn`/`_HLS_part` of the blocking reload for the part after the newest listed.
    public var reloadTarget: (msn: Int, part: Int)? {
        parts.last.map { ($0.msn, $0.index + 1) }
    }

    /// The rest of `line` after `prefix`, or nil.
    static func after(_ line: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> UnsafeBufferPointer<UInt8>? {
        let n = prefix.utf8CodeUnitCount
        guard line.count >= n else { return nil }
        let p = prefix.utf8Start
        for i in 0..<n where line[i] != p[i] { return nil }
        return UnsafeBufferPointer(rebasing: line[n...])
    }

    /// The value after `name` (which includes "=" and an opening quote if any), up to
    /// the closing quote or comma.
    static func attribute(_ line: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> UnsafeBufferPointer<UInt8>? {
        let n = name.utf8CodeUnitCount
        guard line.count >= n else { return nil }
        let quoted = name.utf8Start[n - 1] == 34
        var i = 0
        while i + n <= line.count {
            if let rest = after(UnsafeBufferPointer(rebasing: line[i...]), name) {
                var end = 0
                while end < rest.count && rest[end] != (quoted ? 34 : 44) { end += 1 }
                return UnsafeBufferPointer(rebasing: rest[..<end])
            }
            i += 1
        }
        return nil
    }

    /// A non-negative decimal number ("0.23300", "860").
    static func number(_ v: UnsafeBufferPointer<UInt8>) -> Double {
        var whole = 0.0, frac = 0.0, scale = 0.1, seenDot = false
        for c in v {
            if c == 46 { seenDot = true; continue }
            guard c >= 48 && c <= 57 else { break }
            if seenDot { frac += Double(c - 48) * scale; scale /= 10 } else { whole = whole * 10 + Double(c - 48) }
        }
        return whole + frac
    }

    /// "2026-11-22T00:45:12.345Z" (UTC, as Sluice writes it) to seconds since the epoch.
    /// Hand-parsed: a DateFormatter per line made the generator the bottleneck.
    static func parseDate(_ s: String) -> Double? {
        let u = Array(s.utf8)
        guard u.count >= 20 else { return nil }
        func num(_ from: Int, _ count: Int) -> Int32? {
            var v: Int32 = 0
            for i in from..<(from + count) {
                guard u[i] >= 48 && u[i] <= 57 else { return nil }
                v = v * 10 + Int32(u[i] - 48)
            }
            return v
        }
        guard let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
              let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2) else { return nil }
        var t = tm()
        t.tm_year = year - 1900
        t.tm_mon = month - 1
        t.tm_mday = day
        t.tm_hour = hour
        t.tm_min = minute
        t.tm_sec = second
        var fraction = 0.0
        if u.count > 20 && u[19] == 46 { // "."
            var scale = 0.1
            var i = 20
            while i < u.count && u[i] >= 48 && u[i] <= 57 {
                fraction += Double(u[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        return Double(timegm(&t)) + fraction
    }
}

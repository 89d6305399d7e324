import Foundation

/// The media playlist of one recorded rendition: EXT-X-PLAYLIST-TYPE:EVENT while the recording
/// runs (players may reload it and seek anywhere in it: the time-shift window of a running
/// show), VOD with EXT-X-ENDLIST once finished. Relative URIs: `init-<n>.mp4`, `seg-<msn>.m4s`.
/// Writes and reads the same text, so a restarted server continues what it finds on disk.
public enum RecordingPlaylist {
    public static func render(_ segments: [RecordedSegment], finished: Bool, targetDuration: Int = 2) -> String {
        // EXTINF rounded to the nearest integer may not exceed the target duration.
        let longest = segments.map(\.duration).max() ?? 0
        let target = max(targetDuration, Int(longest.rounded()))
        var out = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:\(target)\n"
        out += "#EXT-X-PLAYLIST-TYPE:\(finished ? "VOD" : "EVENT")\n"
        out += "#EXT-X-MEDIA-SEQUENCE:\(segments.first?.msn ?? 0)\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        var mapIndex: Int?
        for s in segments {
            if s.discontinuity && mapIndex != nil { out += "#EXT-X-DISCONTINUITY\n" }
            if mapIndex != s.initIndex {
                out += "#EXT-X-MAP:URI=\"init-\(s.initIndex).mp4\"\n"
                mapIndex = s.initIndex
            }
            out += "#EXT-X-PROGRAM-DATE-TIME:\(ProgramDateTime.format(micros: s.programDateTime))\n"
            for tag in s.extraTags where tag.hasPrefix("#") && !tag.contains("\n") { out += tag + "\n" }
            out += "#EXTINF:\(MediaPlaylist.decimal(s.duration, 5)),\nseg-\(s.msn).m4s\n"
        }
        if finished { out += "#EXT-X-ENDLIST\n" }
        return out
    }

    /// Reads a playlist `render` wrote: its segments and whether it was finished. nil if it is
    /// not one (a file truncated mid-line still yields the segments before the cut).
    public static func parse(_ text: String) -> (segments: [RecordedSegment], finished: Bool)? {
        guard text.hasPrefix("#EXTM3U") else { return nil }
        var segments: [RecordedSegment] = []
        var finished = false
        var discontinuity = false
        var initIndex = 0
        var pdt: Int64 = 0
        var duration: Double?
        var extra: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw)
            if line == "#EXT-X-DISCONTINUITY" {
                discontinuity = true
            } else if line.hasPrefix("#EXT-X-MAP:URI=\"init-"), let n = Int(line.dropFirst(21).prefix { $0.isNumber }) {
                initIndex = n
            } else if line.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") {
                pdt = ProgramDateTime.parse(String(line.dropFirst(25))) ?? pdt
            } else if line.hasPrefix("#EXTINF:") {
                duration = Double(line.dropFirst(8).prefix { $0 != "," })
            } else if line == "#EXT-X-ENDLIST" {
                finished = true
            } else if line.hasPrefix("seg-"), line.hasSuffix(".m4s"), let msn = Int(line.dropFirst(4).dropLast(4)), let d = duration {
                segments.append(RecordedSegment(msn: msn, duration: d, programDateTime: pdt, discontinuity: discontinuity,
                                                initIndex: initIndex, extraTags: extra))
                discontinuity = false
                duration = nil
                extra = []
            } else if line.hasPrefix("#EXT-X-DATERANGE") || (line.hasPrefix("#EXT") && !headerTags.contains { line.hasPrefix($0) }) {
                extra.append(line)
            }
        }
        return (segments, finished)
    }

    private static let headerTags = ["#EXTM3U", "#EXT-X-VERSION", "#EXT-X-TARGETDURATION", "#EXT-X-PLAYLIST-TYPE",
                                     "#EXT-X-MEDIA-SEQUENCE", "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-MAP"]
}


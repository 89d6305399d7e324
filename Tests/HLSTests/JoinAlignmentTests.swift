import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// A viewer joining at any part gets audio and video that start together: a player takes the
/// earliest tfdt as the part's start, so a gap between the tracks is a hole at the join.
@Suite struct JoinAlignmentTests {
    /// The media in an arrival order where audio comes `lag` seconds after (negative: before)
    /// the video of the same time, as from a transcoder whose AAC runs behind its video.
    static func arrival(lag: Double) -> [MediaUnit] {
        let units = SegmenterTests.media.units
        return units.enumerated().sorted { a, b in
            func at(_ u: MediaUnit) -> Double { u.dtsSeconds + (u.track == .audio ? lag : 0) }
            return (at(a.element), a.offset) < (at(b.element), b.offset)
        }.map(\.element)
    }

    @Test(arguments: [0.0, 0.07, -0.07])
    func everyPartStartsAudioWithinOneAudioFrameAfterVideo(lag: Double) throws {
        let media = SegmenterTests.media
        let stream = HLSStream(path: "live/join", clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: media.tracks, isSource: true)
        for u in Self.arrival(lag: lag) { try r.write(u) }
        r.end()
        let t = r.timeline
        let scales = MP4Boxes.timescales(try #require(t.inits[0]))
        let keyframes = media.videoUnits.filter(\.isKeyframe).map(\.ptsSeconds)
        let audioFrame = 1024.0 / 48000
        let parts = t.segments.flatMap(\.parts)
        #expect(parts.count > 10)
        for (i, part) in parts.enumerated() {
            let starts = MP4Boxes.starts(part.data, timescales: scales)
            let video = try #require(starts[1], "part \(i): no video")
            let audio = try #require(starts[2], "part \(i): no audio")
            // Audio never before the video (no video hole), and less than one AAC frame after it.
            #expect(audio >= video - 1e-6 && audio - video < audioFrame, "part \(i): video \(video) audio \(audio)")
        }
        // An independent part's tfdt is its IDR's presentation time (not its dts, a B-frame delay earlier).
        let independent = parts.filter(\.independent).map { MP4Boxes.starts($0.data, timescales: scales)[1] ?? -1 }
        #expect(independent.count == keyframes.count)
        for (start, pts) in zip(independent, keyframes) { #expect(abs(start - pts) < 1e-3, "tfdt \(start) IDR pts \(pts)") }
    }
}

/// Just enough ISO-BMFF reading for the tests: timescales from the init segment, each track's tfdt from a fragment.
enum MP4Boxes {
    static func boxes(_ b: [UInt8], _ range: Range<Int>) -> [(type: String, body: Range<Int>)] {
        var out: [(String, Range<Int>)] = []
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let size = Int(u32(b, i))
            let type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
            guard size >= 8, i + size <= range.upperBound else { break }
            out.append((type, (i + 8)..<(i + size)))
            i += size
        }
        return out
    }

    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 { b[i..<(i + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
    static func u64(_ b: [UInt8], _ i: Int) -> UInt64 { b[i..<(i + 8)].reduce(0) { $0 << 8 | UInt64($1) } }

    static func find(_ b: [UInt8], _ range: Range<Int>, _ path: [String]) -> [Range<Int>] {
        guard let first = path.first else { return [range] }
        return boxes(b, range).filter { $0.type == first }.flatMap { find(b, $0.body, Array(path.dropFirst())) }
    }

    /// Track ID (1-based, in trak order) → timescale.
    static func timescales(_ initSegment: ByteBuffer) -> [UInt32: UInt32] {
        let b = Array(initSegment.readableBytesView)
        var out: [UInt32: UInt32] = [:]
        for (n, mdhd) in find(b, 0..<b.count, ["moov", "trak", "mdia", "mdhd"]).enumerated() {
            out[UInt32(n + 1)] = u32(b, mdhd.lowerBound + (b[mdhd.lowerBound] == 1 ? 20 : 12))
        }
        return out
    }

    /// Track ID → tfdt in seconds for one moof+mdat.
    static func starts(_ fragment: ByteBuffer, timescales: [UInt32: UInt32]) -> [UInt32: Double] {
        let b = Array(fragment.readableBytesView)
        var out: [UInt32: Double] = [:]
        for traf in find(b, 0..<b.count, ["moof", "traf"]) {
            guard let tfhd = find(b, traf, ["tfhd"]).first, let tfdt = find(b, traf, ["tfdt"]).first else { continue }
            let track = u32(b, tfhd.lowerBound + 4)
            let time = b[tfdt.lowerBound] == 1 ? u64(b, tfdt.lowerBound + 4) : UInt64(u32(b, tfdt.lowerBound + 4))
            if let scale = timescales[track] { out[track] = Double(time) / Double(scale) }
        }
        return out
    }
}

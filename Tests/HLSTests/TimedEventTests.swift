import Foundation
import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// Timed product events: the emsg (version 1, AOM ID3 scheme) and ID3 TXXX bytes, read back
/// by our own reader; the store's limits; the event in the part holding its frame on two
/// renditions with different timescales; EXT-X-DATERANGE in the playlist.
@Suite struct TimedEventTests {
    static let event = TimedEvent(id: "drop-1", sequence: 7, type: "product", payload: #"{"sku":"A-1","price":9.5}"#,
                                  pts: 12.48, programDateTime: 1_795_000_000_123_000, receivedAt: 1_795_000_001_000_000)

    @Test func emsgBoxBytesAreVersionOneWithTheAOMID3Scheme() throws {
        let box = Self.event.eventMessage(timescale: 90_000)
        let bytes = box.bytes
        #expect(Array(bytes[4..<8]) == Array("emsg".utf8))
        #expect(Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3]) == bytes.count)
        #expect(Array(bytes[8..<12]) == [1, 0, 0, 0]) // version 1, flags 0
        #expect(Array(bytes[12..<16]) == [0x00, 0x01, 0x5f, 0x90]) // timescale 90000
        #expect(Array(bytes[16..<24]) == [0, 0, 0, 0, 0x00, 0x11, 0x23, 0x80]) // 12.48 s × 90000 = 1123200
        #expect(Array(bytes[24..<28]) == [0xff, 0xff, 0xff, 0xff]) // duration unknown
        #expect(Array(bytes[28..<32]) == [0, 0, 0, 7])
        let schemeEnd = 32 + EventMessageBox.id3Scheme.utf8.count
        #expect(String(decoding: bytes[32..<schemeEnd], as: UTF8.self) == "https://aomedia.org/emsg/ID3")
        #expect(bytes[schemeEnd] == 0 && bytes[schemeEnd + 1] == 0) // scheme's NUL, empty value's NUL

        let back = try EventMessageBox(parsing: bytes[...])
        #expect(back == box)
        #expect(back.presentationTime == 1_123_200 && back.timescale == 90_000 && back.id == 7)
        let (description, value) = try ID3Tag.parseTXXX(back.messageData[...])
        #expect(description == "sluice.event")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String: Any])
        #expect(json["id"] as? String == "drop-1" && json["type"] as? String == "product")
        #expect((json["payload"] as? [String: Any])?["sku"] as? String == "A-1")
        #expect(json["pts"] as? Double == 12.48)
        #expect(json["date"] as? String == "2026-11-18T11:06:40.123Z")
    }

    @Test func id3TagHasSyncsafeSizesAndOneTXXXFrame() throws {
        let value = String(repeating: "x", count: 300) // sizes above 127 need the syncsafe split
        let tag = ID3Tag.txxx(description: "d", value: value)
        #expect(Array(tag[0..<6]) == Array("ID3".utf8) + [4, 0, 0])
        let frameSize = 10 + 1 + 2 + 300
        #expect(Array(tag[6..<10]) == [0, 0, UInt8(frameSize >> 7), UInt8(frameSize & 0x7f)])
        #expect(Array(tag[10..<14]) == Array("TXXX".utf8))
        #expect(Array(tag[14..<18]) == [0, 0, UInt8(303 >> 7), UInt8(303 & 0x7f)])
        #expect(try ID3Tag.parseTXXX(tag[...]) == ("d", value))
    }

    @Test func readersRefuseShortAndLyingBytes() throws {
        let bytes = Self.event.eventMessage(timescale: 1000).bytes
        for cut in [0, 7, 20, 40] {
            #expect(throws: MP4BoxError.self) { try EventMessageBox(parsing: bytes.prefix(cut)) }
        }
        var v0 = bytes
        v0[8] = 0
        #expect(throws: MP4BoxError("emsg version 0, expected 1")) { try EventMessageBox(parsing: v0[...]) }
        var tooBig = bytes
        tooBig[3] = 0xff
        #expect(throws: MP4BoxError.self) { try MP4BoxReader.boxes(tooBig[...]) }
        let tag = ID3Tag.txxx(description: "d", value: "v")
        #expect(throws: MP4BoxError.self) { try ID3Tag.parseTXXX(tag.dropLast(3)) }
        var notSyncsafe = tag
        notSyncsafe[9] = 0x80
        #expect(throws: MP4BoxError("ID3 size not syncsafe")) { try ID3Tag.parseTXXX(notSyncsafe[...]) }
    }

    static func store(limits: EventStore.Limits = EventStore.Limits(), clock: FakeClock = FakeClock()) -> EventStore {
        let s = EventStore(limits: limits, now: { clock.now })
        for i in 0..<50 { s.recordFrame(pts: Double(i) * 0.04, wallClock: Fixtures.t0 + Int64(i) * 40_000) }
        return s
    }

    final class FakeClock: @unchecked Sendable { // tests only, one thread
        var now: Int64 = Fixtures.t0 + 2_000_000
    }

    @Test func theStorePinsEventsToFrames() throws {
        let s = Self.store()
        #expect(try s.post(at: .now, type: "a", payload: "{}").pts == 1.96)
        #expect(try s.post(at: .pts(1.01), type: "a", payload: "{}").pts == 1.0) // the nearest frame
        let byDate = try s.post(at: .wallClock(Fixtures.t0 + 401_000), type: "a", payload: "{}")
        #expect(byDate.pts == 0.4 && byDate.programDateTime == Fixtures.t0 + 400_000)
        let ahead = try s.post(at: .pts(3), type: "a", payload: "{}") // a frame not ingested yet
        #expect(ahead.pts == 3 && ahead.programDateTime == Fixtures.t0 + 3_000_000)
        #expect(s.all.map(\.sequence) == [1, 2, 3, 4])
        #expect(s.all.map(\.id) == ["ev-1", "ev-2", "ev-3", "ev-4"])
    }

    @Test func theStoreRefusesWhatIsOutOfBounds() throws {
        let s = Self.store()
        #expect(throws: EventStore.Refusal.self) { try s.post(at: .now, type: "a", payload: String(repeating: "x", count: 4097)) }
        #expect(throws: EventStore.Refusal.self) { try s.post(at: .now, type: "", payload: "{}") }
        #expect(throws: EventStore.Refusal.self) { try s.post(at: .now, type: "has space", payload: "{}") }
        #expect(throws: EventStore.Refusal.self) { try s.post(at: .now, type: String(repeating: "t", count: 65), payload: "{}") }
        #expect(throws: EventStore.Refusal.self) { try s.post(at: .pts(100), type: "a", payload: "{}") } // 98 s ahead
        #expect(throws: EventStore.Refusal.self) { try EventStore().post(at: .now, type: "a", payload: "{}") } // no frame yet
        _ = try s.post(at: .now, type: "a", payload: "{}", id: "x")
        #expect(throws: EventStore.Refusal.invalid("an event with id x exists")) { try s.post(at: .now, type: "a", payload: "{}", id: "x") }
        #expect(s.all.count == 1)
    }

    @Test func theStoreLimitsRateAndCount() throws {
        let clock = FakeClock()
        var limits = EventStore.Limits()
        limits.capacity = 12
        let s = Self.store(limits: limits, clock: clock)
        for _ in 0..<10 { _ = try s.post(at: .now, type: "a", payload: "{}") }
        #expect(throws: EventStore.Refusal.rateLimited) { try s.post(at: .now, type: "a", payload: "{}") }
        clock.now += 1_000_000 // a second refills ten
        for _ in 0..<10 { _ = try s.post(at: .now, type: "a", payload: "{}") }
        #expect(s.all.count == 12 && s.all.first?.sequence == 9 && s.all.last?.sequence == 20)
    }

    /// The same media as the source (1/1000, RTMP's timebase) and as a "rung" in 1/90000 that
    /// is written later (a transcoder lags its source): the event posted at the source's newest
    /// frame lands in each rendition's part holding that frame, at the same presentation time.
    @Test func everyRenditionCarriesTheEventInThePartHoldingItsFrame() throws {
        let media = SegmenterTests.media
        let stream = HLSStream(path: "live/ev", clock: ManualClock())
        let source = try stream.rendition(name: "source", tracks: media.tracks, isSource: true)
        let rungTracks = media.tracks.map { t -> TrackInfo in
            var t = t
            if t.kind == .video { t.timebase = Rational(1, 90_000) }
            return t
        }
        let rung = try stream.rendition(name: "rung", tracks: rungTracks)
        let rungUnits = media.units.map { u -> MediaUnit in
            guard u.track == .video else { return u }
            var v = u
            v.pts = u.timebase.rescale(u.pts, to: Rational(1, 90_000))
            v.dts = u.timebase.rescale(u.dts, to: Rational(1, 90_000))
            v.timebase = Rational(1, 90_000)
            return v
        }
        let half = media.units.firstIndex { $0.track == .video && $0.ptsSeconds >= 1.7 }!
        for u in media.units[..<half] { try source.write(u) }
        let event = try stream.events.post(at: .now, type: "product", payload: #"{"sku":"A-1"}"#)
        #expect(event.pts == media.units[..<half].last { $0.track == .video }!.ptsSeconds)
        for u in media.units[half...] { try source.write(u) }
        for u in rungUnits { try rung.write(u) }
        source.end()
        rung.end()

        for r in [source, rung] {
            let parts = r.timeline.segments.flatMap(\.parts)
            let carrying = parts.filter { !$0.events.isEmpty }
            #expect(carrying.count == 1, "\(r.name)")
            let part = try #require(carrying.first)
            #expect(part.start <= event.pts && event.pts < part.start + part.duration, "\(r.name): \(part.start) +\(part.duration)")
            let bytes = Array(part.data.readableBytesView)
            let boxes = try MP4BoxReader.boxes(bytes[...])
            #expect(boxes.map(\.type).prefix(2) == ["emsg", "moof"])
            let emsg = try EventMessageBox(parsing: boxes[0].box)
            let timescale = try #require(try MP4BoxReader.videoTimescale(initSegment: Array(r.timeline.inits.values.first!.readableBytesView)[...]))
            #expect(emsg.timescale == timescale)
            #expect(emsg.presentationTime == UInt64((event.pts * Double(timescale)).rounded()))
            #expect(emsg.schemeIDURI == EventMessageBox.id3Scheme && emsg.id == event.sequence)
            // The moof's tfdt is on the same clock: the part's first video sample is at part.start.
            #expect(emsg.presentationTime >= UInt64((part.start * Double(timescale)).rounded()))
        }
    }

    @Test func thePlaylistListsTheEventAsADateRangeAtItsFramesDate() throws {
        // The event's frame is 0.29 s into segment 1, which starts at 101.0 s, t0 + 1 s.
        var e = Self.event
        e.pts = 101.29
        var t = Fixtures.timeline(segments: 0)
        for i in 0..<6 {
            var cut = Fixtures.cut(first: i % 4 == 0, at: i)
            cut.start = 100 + Double(i) * 0.25
            cut.end = cut.start + 0.25
            if i == 5 { cut.events = [e] }
            t.add(cut)
        }
        // Not while its segment is still being written (hls.js stalled on that), then listed.
        #expect(!MediaPlaylist.render(t).contains("#EXT-X-DATERANGE"))
        for i in 6..<9 {
            var cut = Fixtures.cut(first: i % 4 == 0, at: i)
            cut.start = 100 + Double(i) * 0.25
            cut.end = cut.start + 0.25
            t.add(cut)
        }
        let hex = Array(e.payload.utf8).map { String(format: "%02X", $0) }.joined()
        #expect(MediaPlaylist.dateRange(e, segment: t.segments[1])
                == "#EXT-X-DATERANGE:ID=\"drop-1\",CLASS=\"com.sluice.event\",START-DATE=\"\(ProgramDateTime.format(micros: Fixtures.t0 + 1_290_000))\","
                + "X-TYPE=\"product\",X-PAYLOAD=0x\(hex)\n")
        let lines = Fixtures.lines(MediaPlaylist.render(t))
        let i = try #require(lines.firstIndex { $0.hasPrefix("#EXT-X-DATERANGE:ID=\"drop-1\"") })
        #expect(lines[i - 1] == "#EXT-X-PROGRAM-DATE-TIME:\(ProgramDateTime.format(micros: Fixtures.t0 + 1_000_000))")
        #expect(lines.filter { $0.hasPrefix("#EXT-X-DATERANGE") }.count == 1)
    }
}

import MediaCore
import NIOCore
import Testing
@testable import WebRTCServer

/// The pure parts of the WHEP/WHIP sessions: RTP clocks both ways, RTP payload reading,
/// AVCC → NAL units, the request's host, the OpusHead a WHIP stream carries.
@Suite struct MediaSessionTests {
    func unit(pts: Int64, timebase: Rational = Rational(1, 90_000), wallClock: Int64 = 0, bytes: [UInt8] = [0, 0, 0, 1, 0x65]) -> MediaUnit {
        MediaUnit(track: .video, pts: pts, dts: pts, timebase: timebase, isKeyframe: true, data: ByteBuffer(bytes: bytes),
                  ingestWallClock: wallClock)
    }

    @Test func rtpTimestampsFollowMediaTimeAndContinueAfterANewPublisher() {
        var clock = TrackClock(rate: 90_000)
        let a = clock.timestamp(unit(pts: 0))
        let b = clock.timestamp(unit(pts: 3000))
        #expect(b &- a == 3000)
        // A unit in another timebase (ms) lands on the same 90 kHz clock.
        let c = clock.timestamp(unit(pts: 100, timebase: Rational(1, 1000)))
        #expect(c &- a == 9000)
        // A new publisher restarts its timestamps at 0: RTP time goes on, one frame later.
        clock.rebase()
        let d = clock.timestamp(unit(pts: 0))
        #expect(d &- c == 3000)
        let e = clock.timestamp(unit(pts: 3000))
        #expect(e &- d == 3000)
    }

    @Test func senderReportMapsNowThroughTheLastUnitsWallClock() {
        var clock = TrackClock(rate: 90_000)
        #expect(clock.report(ssrc: 1, nowMicros: 0) == nil) // nothing sent yet
        let ts = clock.timestamp(unit(pts: 0, wallClock: 1_000_000))
        clock.sent([[UInt8](repeating: 0, count: 112)])
        let sr = clock.report(ssrc: 0xAABBCCDD, nowMicros: 1_500_000)
        #expect(sr != nil)
        guard let sr, sr.count >= 28 else { return }
        #expect(sr[1] == 200) // PT SR
        #expect(Array(sr[4..<8]) == [0xAA, 0xBB, 0xCC, 0xDD])
        let rtp = UInt32(sr[16]) << 24 | UInt32(sr[17]) << 16 | UInt32(sr[18]) << 8 | UInt32(sr[19])
        #expect(rtp &- ts == 45_000) // half a second later
        let packets = UInt32(sr[20]) << 24 | UInt32(sr[21]) << 16 | UInt32(sr[22]) << 8 | UInt32(sr[23])
        #expect(packets == 1)
    }

    @Test func ntpTimeFromUnixMicros() {
        #expect(TrackClock.ntp(micros: 0) == 2_208_988_800 << 32)
        #expect(TrackClock.ntp(micros: 500_000) == UInt64(2_208_988_800) << 32 | UInt64(1) << 31)
    }

    @Test func receivedRTPTimeUnwrapsAndStartsAtTheFirstArrival() {
        var time = RTPTime(rate: 90_000)
        #expect(time.micros(UInt32.max - 8999, now: 5_000_000) == 5_000_000)
        #expect(time.micros(0, now: 9_999_999) == 5_100_000) // wrapped: 9000 ticks later
        #expect(time.micros(9000, now: 0) == 5_200_000)
        #expect(time.micros(0, now: 5_300_000) == 5_100_000) // reordered: earlier, not 13 hours later
        // A clock that jumps by half its range is re-anchored at the arrival, never trapping.
        for i in 0..<10_000 {
            let t = UInt32(truncatingIfNeeded: i) &* 0x7FFF_FFFF
            #expect(time.micros(t, now: 6_000_000 + Int64(i)) >= 0)
        }
        #expect(time.micros(0x7FFF_FFFF &* 10_000, now: 7_000_000) == 7_000_000)
    }

    @Test func senderReportOfMediaWithAForeignWallClockDoesNotTrap() {
        var clock = TrackClock(rate: 90_000)
        _ = clock.timestamp(unit(pts: Int64.max / 2, wallClock: 0)) // synthetic: wall clock 0
        #expect(clock.report(ssrc: 1, nowMicros: 1_800_000_000_000_000) != nil)
        clock.rebase()
        _ = clock.timestamp(unit(pts: Int64.min / 2, wallClock: 0))
    }

    @Test func rtpPayloadSkipsCSRCsExtensionAndPadding() {
        // V=2, P=1, X=1, CC=1; PT 111; one CSRC; a one-word extension; 2 bytes of padding.
        var p: [UInt8] = [0xB1, 111, 0, 1, 0, 0, 0x12, 0x34, 0, 0, 0, 9]
        p += [0, 0, 0, 2] // CSRC
        p += [0xBE, 0xDE, 0, 1, 1, 2, 3, 4] // extension header + one word
        p += [7, 8, 9] // payload
        p += [0, 2] // padding, count 2
        #expect(RTPPayload.payloadType(p) == 111)
        #expect(RTPPayload.ssrc(p) == 9)
        let got = RTPPayload.payload(p)
        #expect(got?.0 == [7, 8, 9] && got?.1 == 0x1234)
        #expect(RTPPayload.payload(Array(p.prefix(14))) == nil) // CSRC list cut short
        #expect(RTPPayload.payload([0x80, 0, 0]) == nil)
        #expect(RTPPayload.payloadType([0x40] + [UInt8](repeating: 0, count: 11)) == nil) // version 1
        // Padding longer than the packet never traps.
        #expect(RTPPayload.payload([0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200]) == nil)
    }

    @Test func avccAccessUnitToNALUnitsWithoutDelimiters() {
        let au: [UInt8] = [0, 0, 0, 2, 0x09, 0xF0, 0, 0, 0, 3, 0x65, 1, 2, 0, 0, 0, 2, 0x06, 5]
        #expect(WHEPSession.nalus(unit(pts: 0, bytes: au)) == [[0x65, 1, 2], [0x06, 5]])
        #expect(WHEPSession.nalus(unit(pts: 0, bytes: [0, 0, 0, 9, 1])) == nil) // length past the end
    }

    @Test func candidateHostFromTheRequest() {
        #expect(MediaSessions.hostPart("127.0.0.1:8080") == "127.0.0.1")
        #expect(MediaSessions.hostPart("[::1]:8080") == "::1")
        #expect(MediaSessions.hostPart("shop.example") == "shop.example")
        #expect(MediaSessions.hostPart("") == nil)
        #expect(MediaSessions.hostPart("[::1") == nil)
    }

    @Test func opusHeadForTheDecoder() {
        let head = WHIPSession.opusHead(channels: 2)
        #expect(head.count == 19 && Array(head.prefix(8)) == Array("OpusHead".utf8) && head[9] == 2)
        #expect(WHIPSession.opusTrack.codec == .opus && WHIPSession.opusTrack.sampleRate == 48_000)
    }
}

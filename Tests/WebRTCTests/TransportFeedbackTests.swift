import Testing
import WebRTC

/// Transport-wide feedback Sluice writes to a WHIP publisher, read back with the parser that
/// reads Chromium's feedback to WHEP.
@Suite struct TransportFeedbackTests {
    static func parse(_ packet: [UInt8]) throws -> RTCPTransportFeedback? {
        guard case .transportFeedback(let f) = try RTCP.parseCompound(packet).first else { return nil }
        return f
    }

    @Test func writtenFeedbackReadsBackWithLossesAndLargeDeltas() throws {
        // 100 ms into the session; one loss; a 20 ms step (wide delta) and a 1 ms one.
        let arrivals: [Int64?] = [100_000, 100_250, nil, 120_250, 121_250]
        let (packet, reported) = RTCP.transportFeedback(senderSSRC: 7, mediaSSRC: 9, baseSequence: 65_534, feedbackPacketCount: 3,
                                                        arrivalMicros: arrivals)
        #expect(reported == 5)
        #expect(packet.count % 4 == 0)
        let f = try #require(try Self.parse(packet))
        #expect(f.senderSSRC == 7 && f.mediaSSRC == 9 && f.baseSequence == 65_534 && f.packetStatusCount == 5 && f.feedbackPacketCount == 3)
        #expect(f.referenceTime == 1) // 64 ms units
        let seqs = f.packets.map(\.sequence)
        #expect(seqs == [65_534, 65_535, 0, 1, 2])
        // Deltas in 250 µs: from the reference (64 ms) to 100 ms is 144; then 1; lost; 80; 4.
        #expect(f.packets.map(\.delta) == [144, 1, nil, 80, 4])
    }

    @Test func aDeltaBeyondSixteenBitsEndsThePacket() {
        let arrivals: [Int64?] = [0, 250, 250 + 10_000_000]
        let (_, reported) = RTCP.transportFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequence: 0, feedbackPacketCount: 0, arrivalMicros: arrivals)
        #expect(reported == 2)
    }

    @Test func recorderReportsEachSequenceOnceAcrossTheWrap() throws {
        var r = TransportFeedbackRecorder()
        let empty = r.feedback(senderSSRC: 1, mediaSSRC: 2)
        #expect(empty == nil)
        r.record(sequence: 65_533, arrivalMicros: 5_000_000)
        r.record(sequence: 65_535, arrivalMicros: 5_001_000) // 65_534 lost
        r.record(sequence: 0, arrivalMicros: 5_002_000)
        let firstOut = r.feedback(senderSSRC: 1, mediaSSRC: 2)
        let firstPacket = try #require(firstOut)
        let first = try #require(try Self.parse(firstPacket))
        #expect(first.baseSequence == 65_533 && first.packets.map(\.sequence) == [65_533, 65_534, 65_535, 0])
        #expect(first.packets.map { $0.delta != nil } == [true, false, true, true])
        let nothing = r.feedback(senderSSRC: 1, mediaSSRC: 2)
        #expect(nothing == nil) // nothing new
        r.record(sequence: 65_534, arrivalMicros: 5_003_000) // too late: already reported lost
        r.record(sequence: 1, arrivalMicros: 5_004_000)
        let secondOut = r.feedback(senderSSRC: 1, mediaSSRC: 2)
        let secondPacket = try #require(secondOut)
        let second = try #require(try Self.parse(secondPacket))
        #expect(second.baseSequence == 1 && second.packets.count == 1 && second.feedbackPacketCount == 1)
    }

    @Test func aFeedbackThatStartsOnALostSequenceIsStillWritten() throws {
        var r = TransportFeedbackRecorder()
        r.record(sequence: 10, arrivalMicros: 1_000_000)
        let firstOut = r.feedback(senderSSRC: 1, mediaSSRC: 2) // reports 10; the next starts at 11
        #expect(firstOut != nil)
        r.record(sequence: 12, arrivalMicros: 1_050_000) // 11 lost
        let out = r.feedback(senderSSRC: 1, mediaSSRC: 2)
        let packet = try #require(out) // once nil: feedback stopped for good after one loss at a boundary
        let f = try #require(try Self.parse(packet))
        #expect(f.baseSequence == 11 && f.packets.map(\.sequence) == [11, 12])
        #expect(f.packets.map { $0.delta != nil } == [false, true])
    }
}

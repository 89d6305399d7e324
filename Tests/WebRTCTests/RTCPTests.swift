import Testing
import WebRTC

@Suite struct RTCPTests {
    @Test func senderReportRoundTrip() throws {
        let ntp = RTCP.ntpTimestamp(unixSeconds: 1_764_547_200.5)
        #expect(ntp >> 32 == 1_764_547_200 + 2_208_988_800)
        #expect(ntp & 0xFFFF_FFFF == 0x8000_0000)
        let sr = RTCP.senderReport(ssrc: 0x1111, ntp: ntp, rtpTimestamp: 90000, packets: 10, octets: 12000)
        #expect(sr.count == 28)
        #expect(classifyDatagram(sr) == .rtcp)
        let parsed = try RTCP.parseCompound(sr)
        #expect(parsed == [.senderReport(RTCPSenderReport(ssrc: 0x1111, ntpTimestamp: ntp, rtpTimestamp: 90000,
                                                          packetCount: 10, octetCount: 12000, reports: []))])
    }

    @Test func chromiumStyleCompoundWithReceiverReportSDESAndRemb() throws {
        let block = RTCPReportBlock(ssrc: 0x1111, fractionLost: 25, cumulativeLost: -3, highestSequence: 0x0001_0005,
                                    jitter: 40, lastSR: 0x1234_5678, delaySinceLastSR: 0x0001_0000)
        let rr = RTCP.receiverReport(ssrc: 1, reports: [block])
        // SDES with one CNAME chunk, hand-built: padded to a word.
        let sdes: [UInt8] = [0x81, 202, 0, 3, 0, 0, 0, 1, 1, 4, 0x61, 0x62, 0x63, 0x64, 0, 0]
        let remb = RTCP.remb(senderSSRC: 1, bitrate: 2_500_000, mediaSSRCs: [0x1111])
        let packets = try RTCP.parseCompound(rr + sdes + remb)
        #expect(packets.count == 3)
        #expect(packets[0] == .receiverReport([block]))
        #expect(packets[1] == .other(packetType: 202))
        // REMB's 18-bit mantissa loses the low bits of large values.
        guard case .remb(let bitrate) = packets[2] else { Issue.record("no REMB: \(packets[2])"); return }
        #expect(bitrate <= 2_500_000 && bitrate > 2_490_000)
        // Round trip time from the report: now = LSR + DLSR + 0.25 s (16.16 fixed point).
        let now = UInt64(0x1234_5678 &+ 0x0001_0000 &+ 0x4000) << 16
        #expect(RTCP.roundTripSeconds(block, nowNTP: now) == 0.25)
    }

    @Test func nackPLIAndFIR() throws {
        let lost: [UInt16] = [65534, 65535, 0, 3, 17, 40]
        let nack = RTCP.nack(senderSSRC: 1, mediaSSRC: 0x2222, sequenceNumbers: lost)
        // 65534 + mask covering 65535, 0, 3 and 17 (offset 19 is beyond 16: new pair), then 40.
        #expect(nack.count == 12 + 4 * 3)
        #expect(try RTCP.parseCompound(nack) == [.nack(mediaSSRC: 0x2222, sequenceNumbers: lost)])

        // Hand-built generic NACK: PID 100, BLP 0b101 → 100, 101, 103.
        let handNack: [UInt8] = [0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0x22, 0x22, 0, 100, 0, 5]
        #expect(try RTCP.parseCompound(handNack) == [.nack(mediaSSRC: 0x2222, sequenceNumbers: [100, 101, 103])])

        let pli = RTCP.pli(senderSSRC: 1, mediaSSRC: 0x2222)
        #expect(pli == [0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0x22, 0x22])
        let fir = RTCP.fir(senderSSRC: 1, mediaSSRC: 0x2222, sequence: 7)
        #expect(try RTCP.parseCompound(pli + fir) == [.pli(mediaSSRC: 0x2222), .fir(mediaSSRC: 0x2222)])
        let bye: [UInt8] = [0x81, 203, 0, 1, 0, 0, 0x22, 0x22]
        #expect(try RTCP.parseCompound(bye) == [.bye(ssrcs: [0x2222])])
    }

    @Test func transportWideFeedback() throws {
        // Base seq 1000, 6 packets: a run-length chunk (2 × "small delta"), then a 2-bit status
        // vector chunk (not received, large delta, small delta, small delta, then padding symbols).
        var fb: [UInt8] = [0x8F, 205, 0, 0]
        fb += [0, 0, 0, 1, 0, 0, 0x22, 0x22]
        fb += [0x03, 0xE8, 0, 6]               // base sequence, status count
        fb += [0x00, 0x00, 0x10, 0x05]         // reference time 16 (× 64 ms), feedback count 5
        fb += [0x20, 0x02]                     // run length: symbol 1 × 2
        fb += [0b1100_1001, 0b0100_0000]       // vector, 2-bit: 0, 2, 1, 1, 0, 0, 0 (past the count)
        fb += [4, 8]                           // small deltas for 1000, 1001
        fb += [0xFF, 0xFE]                     // large delta −2 for 1003
        fb += [1, 200]                         // small deltas for 1004, 1005
        while fb.count % 4 != 0 { fb.append(0) }
        fb[3] = UInt8(fb.count / 4 - 1)
        let parsed = try RTCP.parseCompound(fb)
        guard case .transportFeedback(let t) = parsed.first else { Issue.record("not transport-cc: \(parsed)"); return }
        #expect(t.mediaSSRC == 0x2222)
        #expect(t.baseSequence == 1000)
        #expect(t.packetStatusCount == 6)
        #expect(t.referenceTime == 16)
        #expect(t.feedbackPacketCount == 5)
        #expect(t.packets.map(\.sequence) == [1000, 1001, 1002, 1003, 1004, 1005])
        #expect(t.packets.map(\.delta) == [4, 8, nil, -2, 1, 200])
    }

    @Test func malformedCompoundsAreErrors() {
        #expect(throws: RTCPError.tooShort(3)) { try RTCP.parseCompound([0x80, 200, 0]) }
        #expect(throws: RTCPError.badVersion(1)) { try RTCP.parseCompound([0x40, 200, 0, 0]) }
        #expect(throws: RTCPError.self) { try RTCP.parseCompound([0x80, 200, 0, 6, 0, 0, 0, 1]) }   // length past the end
        let pli = RTCP.pli(senderSSRC: 1, mediaSSRC: 2)
        #expect(throws: RTCPError.self) { try RTCP.parseCompound(pli + [0x81]) }                      // trailing bytes
        #expect(throws: RTCPError.tooManyPackets(RTCP.maxPacketsPerCompound)) {
            try RTCP.parseCompound(Array([[UInt8]](repeating: pli, count: 100).joined()))
        }
        var state: UInt64 = 99
        for _ in 0..<3000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var bytes = (0..<Int(state >> 57)).map { UInt8(truncatingIfNeeded: state >> UInt64($0 % 61)) }
            if bytes.count >= 4 {
                bytes[0] = 0x80 | bytes[0] & 0x3F
                bytes[1] = [200, 201, 203, 205, 206][Int(state % 5)]
                bytes[2] = 0; bytes[3] = UInt8(bytes.count / 4 - 1)
            }
            _ = try? RTCP.parseCompound(bytes)
        }
    }
}

@Suite struct RetransmissionHistoryTests {
    @Test func boundedByPackets() {
        var h = RetransmissionHistory(capacity: 4, byteCapacity: 1_000_000)
        for seq in UInt16(0)..<10 { h.store(seq: seq, packet: [UInt8(seq)]) }
        #expect(h.count == 4)
        #expect(h.packet(seq: 5) == nil)
        #expect((6...9).map { h.packet(seq: UInt16($0)) } == [[6], [7], [8], [9]])
    }

    @Test func boundedByBytes() {
        var h = RetransmissionHistory(capacity: 100, byteCapacity: 3000)
        for seq in UInt16(0)..<10 { h.store(seq: seq, packet: [UInt8](repeating: UInt8(seq), count: 1000)) }
        #expect(h.count == 3)
        #expect(h.bytes == 3000)
        #expect(h.packet(seq: 6) == nil)
        #expect(h.packet(seq: 7)?.first == 7)
        // A packet bigger than the whole budget is not kept (and evicts nothing).
        h.store(seq: 10, packet: [UInt8](repeating: 0, count: 3001))
        #expect(h.packet(seq: 10) == nil)
        #expect(h.count == 3)
    }

    @Test func sequenceWrapReplacesTheOldEntry() {
        var h = RetransmissionHistory(capacity: 3, byteCapacity: 100)
        h.store(seq: 65535, packet: [1])
        h.store(seq: 0, packet: [2])
        h.store(seq: 65535, packet: [3, 3])   // the same number again (a wrap): the newer wins
        #expect(h.packet(seq: 65535) == [3, 3])
        #expect(h.count == 2)
        #expect(h.bytes == 3)
        h.store(seq: 1, packet: [4])
        h.store(seq: 2, packet: [5])          // evicts seq 0, the oldest still stored
        #expect(h.packet(seq: 0) == nil)
        #expect(h.packet(seq: 65535) == [3, 3])
        #expect(h.count == 3)
        for i in 0..<10_000 { h.store(seq: UInt16(truncatingIfNeeded: i &* 7), packet: [UInt8](repeating: 1, count: i % 40)) }
        #expect(h.count <= 3)
        #expect(h.bytes <= 100)
    }
}

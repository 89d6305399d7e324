import Testing
import WebRTC

@Suite struct RTPTests {
    let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xE8]
    let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]

    func nal(_ header: UInt8, _ count: Int) -> [UInt8] {
        [header] + (1..<max(count, 1)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    func parse(_ packet: [UInt8]) throws -> (RTPHeader, [UInt8]) {
        let (h, range) = try RTPHeader.parse(packet)
        return (h, Array(packet[range]))
    }

    @Test func headerRoundTripWithExtensionsCSRCsAndPadding() throws {
        var h = RTPHeader(payloadType: 106, sequenceNumber: 0xFFFE, timestamp: 0xDEAD_BEEF, ssrc: 0x0102_0304, marker: true,
                          csrcs: [7, 8], extensions: [RTPHeaderExtension(id: 4, data: [0x12, 0x34]), RTPHeaderExtension(id: 9, data: [0x30])])
        let bytes = h.serialize()
        #expect(bytes.count == 12 + 8 + 4 + 8)   // 2 CSRCs, extension header, 6 bytes of elements padded to 8
        #expect(Array(bytes[24...27]) == [0x41, 0x12, 0x34, 0x90])   // one-byte form: id 4 length−1 = 1, id 9 length−1 = 0
        let (parsed, range) = try RTPHeader.parse(bytes + [1, 2, 3])
        #expect(parsed == h)
        #expect(range == bytes.count..<bytes.count + 3)
        #expect(parsed.extensionData(id: 4) == [0x12, 0x34])

        // Two-byte form for a long element; padding at the end of the packet is excluded from the payload.
        h.extensions = [RTPHeaderExtension(id: 20, data: Array(repeating: 0xAB, count: 20))]
        h.padding = true
        let padded = h.serialize() + [9, 9, 0, 0, 3]
        let (p2, r2) = try RTPHeader.parse(padded)
        #expect(p2.extensions == h.extensions)
        #expect(Array(padded[r2]) == [9, 9])
    }

    @Test func malformedHeadersAreErrors() {
        #expect(throws: RTPError.tooShort(11)) { try RTPHeader.parse(Array(repeating: 0x80, count: 11)) }
        #expect(throws: RTPError.badVersion(1)) { try RTPHeader.parse([0x40] + Array(repeating: 0, count: 11)) }
        #expect(throws: RTPError.self) { try RTPHeader.parse([0x8F] + Array(repeating: 0, count: 20)) }     // 15 CSRCs missing
        #expect(throws: RTPError.self) { try RTPHeader.parse([0x90] + Array(repeating: 0, count: 11) + [0xBE, 0xDE, 0x00, 0x09]) }
        #expect(throws: RTPError.self) { try RTPHeader.parse([0xA0] + Array(repeating: 0, count: 11) + [0x00]) }   // zero padding
        #expect(throws: RTPError.self) { try RTPHeader.parse([0xA0] + Array(repeating: 0, count: 11) + [1, 2, 9]) }  // padding past payload
    }

    @Test func singleNALUnitsAndMarkerOnTheLast() throws {
        var p = H264Packetizer(payloadType: 102, ssrc: 42, mtu: 1200, sequenceNumber: 100)
        let slices = [nal(0x41, 500), nal(0x41, 700)]
        let packets = p.packetize(nalus: slices, timestamp: 3000)
        #expect(packets.count == 2)
        let (h0, p0) = try parse(packets[0]), (h1, p1) = try parse(packets[1])
        #expect(h0.sequenceNumber == 100 && h1.sequenceNumber == 101)
        #expect(h0.timestamp == 3000 && h1.timestamp == 3000)
        #expect(!h0.marker && h1.marker)
        #expect(h0.payloadType == 102 && h0.ssrc == 42)
        #expect(p0 == slices[0] && p1 == slices[1])
        #expect(p.sequenceNumber == 102)
    }

    @Test func parameterSetsGoAsOneSTAPABeforeTheIDR() throws {
        var p = H264Packetizer(payloadType: 102, ssrc: 1, sequenceNumber: 0)
        let idr = nal(0x65, 900)
        let packets = p.packetize(nalus: [[0x09, 0xF0], sps, pps, idr], timestamp: 90000)   // AUD is left out
        #expect(packets.count == 2)
        let (h0, stap) = try parse(packets[0])
        #expect(!h0.marker)
        // STAP-A header: F=0, NRI = max(3, 3), type 24; then size + NAL for each.
        #expect(stap == [0x78, 0, UInt8(sps.count)] + sps + [0, UInt8(pps.count)] + pps)
        let (h1, single) = try parse(packets[1])
        #expect(h1.marker)
        #expect(single == idr)
    }

    @Test func fuABoundariesAroundTheMTU() throws {
        let mtu = 1200
        let room = mtu - 12          // payload room of one packet
        // Exactly the room: one single-NAL packet of exactly the MTU.
        var p = H264Packetizer(payloadType: 96, ssrc: 1, mtu: mtu, sequenceNumber: 0)
        let fits = p.packetize(nalus: [nal(0x65, room)], timestamp: 0)
        #expect(fits.count == 1)
        #expect(fits[0].count == mtu)

        // One byte more: FU-A. The NAL header is not sent; each fragment carries room − 2 bytes
        // of the body, so a body of `room` bytes takes a full fragment and a 2-byte one.
        let big = nal(0x65, room + 1)
        let frags = p.packetize(nalus: [big], timestamp: 0)
        #expect(frags.map(\.count) == [mtu, 12 + 2 + 2])
        let (h0, f0) = try parse(frags[0]), (h1, f1) = try parse(frags[1])
        #expect(f0[0] == 0x7C)               // FU indicator: F 0, NRI 3, type 28
        #expect(f0[1] == 0x85)               // S, type 5
        #expect(f1[1] == 0x45)               // E, type 5
        #expect(!h0.marker && h1.marker)
        #expect(Array(f0[2...]) + Array(f1[2...]) == Array(big[1...]))

        // Three full fragments exactly: body = 3 × (room − 2).
        let three = nal(0x41, 3 * (room - 2) + 1)
        let t = p.packetize(nalus: [three], timestamp: 0)
        #expect(t.map(\.count) == [mtu, mtu, mtu])
        let headers = try t.map { try parse($0).1[1] }
        #expect(headers == [0x81, 0x01, 0x41])   // S, middle, E; type 1
        #expect(try t.map { try parse($0).0.marker } == [false, false, true])
        // Every packet stays within the MTU whatever the size.
        for size in [1, 2, room - 1, room, room + 1, 2 * room, 5000] {
            for packet in p.packetize(nalus: [nal(0x61, size)], timestamp: 0) { #expect(packet.count <= mtu) }
        }
    }

    @Test func sequenceNumbersWrapAndTimestampsAreKept() throws {
        var p = H264Packetizer(payloadType: 96, ssrc: 1, mtu: 200, sequenceNumber: 0xFFFE)
        let packets = p.packetize(nalus: [nal(0x65, 700)], timestamp: 0xFFFF_FFF0)
        let seqs = try packets.map { try parse($0).0.sequenceNumber }
        #expect(seqs == [0xFFFE, 0xFFFF, 0, 1])
        #expect(try packets.allSatisfy { try parse($0).0.timestamp == 0xFFFF_FFF0 })
        #expect(RTPSequence.isNewer(0, than: 0xFFFF))
        #expect(!RTPSequence.isNewer(0xFFFF, than: 0))
    }

    @Test func opusOneFramePerPacket() throws {
        var p = OpusPacketizer(payloadType: 111, ssrc: 9, sequenceNumber: 0xFFFF)
        let a = p.packetize(frame: [0xFC, 1, 2], timestamp: 960)
        let b = p.packetize(frame: [0xFC, 3], timestamp: 1920)
        let (ha, pa) = try parse(a), (hb, _) = try parse(b)
        #expect(pa == [0xFC, 1, 2])
        #expect(ha.payloadType == 111 && !ha.marker && ha.timestamp == 960)
        #expect(hb.sequenceNumber == 0 && hb.timestamp == 1920)
    }

    @Test func avccSplitting() {
        let avcc: [UInt8] = [0, 0, 0, 2, 0x09, 0xF0, 0, 0, 0, 3, 0x65, 1, 2, 0, 0, 0, 9, 1]   // last length runs past the end
        #expect(H264Packetizer.nalus(fromAVCC: avcc) == [[0x09, 0xF0], [0x65, 1, 2]])
        #expect(H264Packetizer.nalus(fromAVCC: []) == [])
    }

    @Test func depacketizerRoundTrip() throws {
        var p = H264Packetizer(payloadType: 96, ssrc: 5, mtu: 300, sequenceNumber: 65530)
        var d = H264Depacketizer()
        let frames: [[[UInt8]]] = [
            [sps, pps, nal(0x65, 2000), nal(0x65, 100)],
            [nal(0x41, 280)],
            [nal(0x41, 288), nal(0x41, 1000), nal(0x06, 20)],
        ]
        for (i, frame) in frames.enumerated() {
            var out: (nalus: [[UInt8]], timestamp: UInt32, keyframe: Bool)?
            let packets = p.packetize(nalus: frame, timestamp: UInt32(i * 3000))
            for (k, packet) in packets.enumerated() {
                let r = d.push(rtp: packet)
                if k < packets.count - 1 { #expect(r == nil) } else { out = r }
            }
            let au = try #require(out)
            #expect(au.nalus == frame)
            #expect(au.timestamp == UInt32(i * 3000))
            #expect(au.keyframe == (i == 0))
        }
        #expect(d.lostPackets == 0)
    }

    @Test func depacketizerDropsABrokenFragmentOnLoss() throws {
        var p = H264Packetizer(payloadType: 96, ssrc: 5, mtu: 300, sequenceNumber: 10)
        var d = H264Depacketizer()
        let small = nal(0x41, 50), big = nal(0x41, 1000)
        var packets = p.packetize(nalus: [small, big, small], timestamp: 0)
        #expect(packets.count == 6)          // single, 4 FU-A, single
        packets.remove(at: 2)                // the second fragment
        var result: (nalus: [[UInt8]], timestamp: UInt32, keyframe: Bool)?
        for packet in packets { if let r = d.push(rtp: packet) { result = r } }
        #expect(result?.nalus == [small, small])
        #expect(d.lostPackets == 1)
        #expect(d.droppedFragments == 1)

        // A lost marker: the unit is handed over when the next timestamp starts.
        var q = H264Packetizer(payloadType: 96, ssrc: 5, sequenceNumber: 0)
        var e = H264Depacketizer()
        let first = q.packetize(nalus: [small], timestamp: 100)
        let second = q.packetize(nalus: [small, small], timestamp: 200)
        var headerless = try RTPHeader.parse(first[0]).header
        headerless.marker = false
        #expect(e.push(rtp: headerless.serialize() + small) == nil)
        #expect(e.push(rtp: second[0])?.timestamp == 100)
        #expect(e.push(rtp: second[1])?.nalus == [small, small])
        // Duplicates and late packets are ignored.
        #expect(e.push(rtp: second[1]) == nil)
    }

    @Test func depacketizerIsBounded() {
        var p = H264Packetizer(payloadType: 96, ssrc: 5, mtu: 1200, sequenceNumber: 0)
        var d = H264Depacketizer(maxAccessUnitBytes: 10_000, maxNALUnits: 4)
        var got = 0
        for packet in p.packetize(nalus: [nal(0x65, 20_000)], timestamp: 0) { if d.push(rtp: packet) != nil { got += 1 } }
        for packet in p.packetize(nalus: Array(repeating: nal(0x41, 10), count: 6), timestamp: 1) { if d.push(rtp: packet) != nil { got += 1 } }
        #expect(got == 0)
        #expect(d.droppedFragments == 1)   // the 20 kB NAL unit
        #expect(d.droppedAccessUnits == 1)  // six NAL units where four are allowed
        // Garbage never traps.
        var state: UInt64 = 7
        for _ in 0..<3000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let n = Int(state >> 56)
            var bytes = (0..<n).map { UInt8(truncatingIfNeeded: state >> UInt64($0 % 60)) }
            if bytes.count > 13 { bytes[0] = 0x80; bytes[12] = [0x1C, 0x18, 0x41, 0x7C][Int(state % 4)] }
            _ = d.push(rtp: bytes)
        }
    }
}

@Suite struct RTPExtensionRewriteTests {
    @Test func transportSequenceIsAddedThenReplaced() throws {
        var p = H264Packetizer(payloadType: 96, ssrc: 3, sequenceNumber: 7)
        let packet = p.packetize(nalus: [[0x65, 1, 2, 3]], timestamp: 9)[0]
        let stamped = try #require(RTPHeader.settingExtension(in: packet, id: 4, data: RTPHeader.transportSequenceData(0x0102)))
        #expect(stamped.count == packet.count + 8)
        let (h, range) = try RTPHeader.parse(stamped)
        #expect(h.extensionData(id: 4) == [1, 2])
        #expect(h.sequenceNumber == 7 && h.marker)
        #expect(Array(stamped[range]) == [0x65, 1, 2, 3])
        // A retransmission gets a new transport sequence number in place.
        let again = try #require(RTPHeader.settingExtension(in: stamped, id: 4, data: RTPHeader.transportSequenceData(0x0304)))
        #expect(again.count == stamped.count)
        #expect(try RTPHeader.parse(again).header.extensionData(id: 4) == [3, 4])
        #expect(RTPHeader.settingExtension(in: [1, 2, 3], id: 4, data: [0]) == nil)
    }
}

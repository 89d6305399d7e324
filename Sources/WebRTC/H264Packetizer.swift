/// H.264 over RTP, RFC 6184 packetization mode 1 (non-interleaved): a NAL unit that fits goes
/// alone, parameter sets before an IDR go together in one STAP-A, larger NAL units are split into
/// FU-A fragments. The last packet of an access unit carries the marker bit.
public struct H264Packetizer: Sendable {
    public var payloadType: UInt8
    public var ssrc: UInt32
    /// The largest RTP packet (header included) this writes; payload room is mtu − 12.
    public let mtu: Int
    /// The next packet's sequence number.
    public private(set) var sequenceNumber: UInt16

    static let stapA: UInt8 = 24
    static let fuA: UInt8 = 28

    public init(payloadType: UInt8, ssrc: UInt32, mtu: Int = 1200, sequenceNumber: UInt16 = .random(in: 0...UInt16.max)) {
        self.payloadType = payloadType
        self.ssrc = ssrc
        self.mtu = max(mtu, 12 + 3)   // room for a FU-A carrying at least one byte
        self.sequenceNumber = sequenceNumber
    }

    var maxPayload: Int { mtu - 12 }

    /// `nalus` without start codes or length prefixes. Access unit delimiters and filler data are
    /// left out; empty NAL units are skipped. `firstPacketExtensions` (e.g. `PlayoutDelay`) go in
    /// the first packet's header, `everyPacketExtensions` (e.g. an abs-send-time slot the sender
    /// fills in place) first in every packet's; payload room shrinks by their size so that no
    /// packet exceeds `mtu`.
    public mutating func packetize(nalus: [[UInt8]], timestamp: UInt32, firstPacketExtensions: [RTPHeaderExtension] = [],
                                   everyPacketExtensions: [RTPHeaderExtension] = []) -> [[UInt8]] {
        let allExtensions = everyPacketExtensions + firstPacketExtensions
        let extensionBytes = allExtensions.isEmpty ? 0
            : RTPHeader(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, extensions: allExtensions).size - 12
        let maxPayload = max(self.maxPayload - extensionBytes, 3)
        let units = nalus.filter { n in
            guard let h = n.first else { return false }
            let type = h & 0x1F
            return type != 9 && type != 12
        }
        var payloads: [[UInt8]] = []
        var i = 0
        while i < units.count {
            let nalu = units[i]
            // A run of parameter sets (and SEI) that fits in one packet goes as a STAP-A.
            if isAggregatable(nalu, maxPayload) {
                var run = [nalu]
                var size = 1 + 2 + nalu.count
                var j = i + 1
                while j < units.count, isAggregatable(units[j], maxPayload), size + 2 + units[j].count <= maxPayload {
                    run.append(units[j]); size += 2 + units[j].count; j += 1
                }
                if run.count > 1 {
                    payloads.append(Self.stapAPayload(run))
                    i = j
                    continue
                }
            }
            if nalu.count <= maxPayload {
                payloads.append(nalu)
            } else {
                payloads.append(contentsOf: fragments(of: nalu, maxPayload: maxPayload))
            }
            i += 1
        }
        var packets: [[UInt8]] = []
        packets.reserveCapacity(payloads.count)
        for (index, payload) in payloads.enumerated() {
            var packet = RTPHeader(payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc,
                                   marker: index == payloads.count - 1,
                                   extensions: index == 0 ? allExtensions : everyPacketExtensions).serialize()
            packet.append(contentsOf: payload)
            packets.append(packet)
            sequenceNumber &+= 1
        }
        return packets
    }

    private func isAggregatable(_ nalu: [UInt8], _ maxPayload: Int) -> Bool {
        guard let h = nalu.first else { return false }
        let type = h & 0x1F
        return (type == 6 || type == 7 || type == 8) && nalu.count + 3 <= maxPayload
    }

    static func stapAPayload(_ units: [[UInt8]]) -> [UInt8] {
        // F is the OR of the aggregated F bits, NRI their maximum (RFC 6184 section 5.7.1).
        let f = units.reduce(UInt8(0)) { $0 | ($1[0] & 0x80) }
        let nri = units.map { $0[0] & 0x60 }.max() ?? 0
        var payload: [UInt8] = [f | nri | stapA]
        for u in units {
            payload.appendBE16(UInt16(u.count))
            payload.append(contentsOf: u)
        }
        return payload
    }

    /// FU-A fragments: the NAL header's F and NRI in the indicator, its type in the FU header; the
    /// NAL header byte itself is not sent. Every fragment but the last is full.
    private func fragments(of nalu: [UInt8], maxPayload: Int) -> [[UInt8]] {
        let header = nalu[0]
        let indicator = header & 0xE0 | Self.fuA
        let room = maxPayload - 2
        var result: [[UInt8]] = []
        var offset = 1
        while offset < nalu.count {
            let end = min(offset + room, nalu.count)
            var fu: UInt8 = header & 0x1F
            if offset == 1 { fu |= 0x80 }
            if end == nalu.count { fu |= 0x40 }
            var payload: [UInt8] = [indicator, fu]
            payload.reserveCapacity(2 + end - offset)
            payload.append(contentsOf: nalu[offset..<end])
            result.append(payload)
            offset = end
        }
        return result
    }

    /// NAL units of an AVCC sample (4-byte big-endian lengths, as the hub carries H.264); stops at
    /// the first length that runs past the end.
    public static func nalus(fromAVCC bytes: [UInt8], lengthSize: Int = 4) -> [[UInt8]] {
        guard (1...4).contains(lengthSize) else { return [] }
        var result: [[UInt8]] = []
        var i = 0
        while i + lengthSize <= bytes.count {
            var length = 0
            for k in 0..<lengthSize { length = length << 8 | Int(bytes[i + k]) }
            i += lengthSize
            guard length <= bytes.count - i else { break }
            if length > 0 { result.append(Array(bytes[i..<i + length])) }
            i += length
        }
        return result
    }
}

/// RTCP (RFC 3550, RFC 4585, RFC 5104) compound parsing and the few packets a sender writes.
public enum RTCP {
    public static let maxPacketsPerCompound = 64
    public static let maxTransportFeedbackPackets = 8192

    public enum PacketType {
        public static let senderReport: UInt8 = 200
        public static let receiverReport: UInt8 = 201
        public static let sourceDescription: UInt8 = 202
        public static let bye: UInt8 = 203
        public static let transportFeedback: UInt8 = 205   // RTPFB
        public static let payloadFeedback: UInt8 = 206     // PSFB
    }

    // MARK: parsing

    /// Every packet of a compound (or reduced-size, RFC 5506) RTCP datagram.
    public static func parseCompound(_ bytes: [UInt8]) throws(RTCPError) -> [RTCPPacket] {
        guard bytes.count >= 4 else { throw .tooShort(bytes.count) }
        var result: [RTCPPacket] = []
        var offset = 0
        while offset < bytes.count {
            guard result.count < maxPacketsPerCompound else { throw .tooManyPackets(maxPacketsPerCompound) }
            guard offset + 4 <= bytes.count else { throw .badLength("\(bytes.count - offset) trailing bytes") }
            let version = bytes[offset] >> 6
            guard version == 2 else { throw .badVersion(version) }
            let count = bytes[offset] & 0x1F
            let type = bytes[offset + 1]
            let length = 4 * (Int(readBE16(bytes, offset + 2)) + 1)
            guard offset + length <= bytes.count else { throw .badLength("packet type \(type) of \(length) bytes runs past the end") }
            var body = Array(bytes[offset + 4..<offset + length])
            if bytes[offset] & 0x20 != 0, let pad = body.last {
                guard Int(pad) <= body.count, pad > 0 else { throw .badLength("padding of \(pad) bytes") }
                body.removeLast(Int(pad))
            }
            result.append(contentsOf: parseOne(type: type, count: count, body: body))
            offset += length
        }
        return result
    }

    private static func reportBlocks(_ b: [UInt8], from start: Int, count: Int) -> [RTCPReportBlock] {
        var blocks: [RTCPReportBlock] = []
        var i = start
        for _ in 0..<count {
            guard i + 24 <= b.count else { break }
            let lostRaw = readBE24(b, i + 5)
            let lost = Int32(bitPattern: lostRaw & 0x80_0000 != 0 ? lostRaw | 0xFF00_0000 : lostRaw)
            blocks.append(RTCPReportBlock(ssrc: readBE32(b, i), fractionLost: b[i + 4], cumulativeLost: lost,
                                          highestSequence: readBE32(b, i + 8), jitter: readBE32(b, i + 12),
                                          lastSR: readBE32(b, i + 16), delaySinceLastSR: readBE32(b, i + 20)))
            i += 24
        }
        return blocks
    }

    private static func parseOne(type: UInt8, count: UInt8, body b: [UInt8]) -> [RTCPPacket] {
        switch type {
        case PacketType.senderReport:
            guard b.count >= 24 else { return [.other(packetType: type)] }
            return [.senderReport(RTCPSenderReport(
                ssrc: readBE32(b, 0), ntpTimestamp: UInt64(readBE32(b, 4)) << 32 | UInt64(readBE32(b, 8)),
                rtpTimestamp: readBE32(b, 12), packetCount: readBE32(b, 16), octetCount: readBE32(b, 20),
                reports: reportBlocks(b, from: 24, count: Int(count))))]
        case PacketType.receiverReport:
            guard b.count >= 4 else { return [.other(packetType: type)] }
            return [.receiverReport(reportBlocks(b, from: 4, count: Int(count)))]
        case PacketType.bye:
            var ssrcs: [UInt32] = []
            for i in 0..<Int(count) where 4 * i + 4 <= b.count { ssrcs.append(readBE32(b, 4 * i)) }
            return [.bye(ssrcs: ssrcs)]
        case PacketType.transportFeedback where b.count >= 8:
            let mediaSSRC = readBE32(b, 4)
            switch count {
            case 1:   // generic NACK: (PID, BLP) pairs
                var seqs: [UInt16] = []
                var i = 8
                while i + 4 <= b.count, seqs.count < 17 * 256 {
                    let pid = readBE16(b, i), blp = readBE16(b, i + 2)
                    seqs.append(pid)
                    for bit in 0..<16 where blp & (1 << bit) != 0 { seqs.append(pid &+ UInt16(bit + 1)) }
                    i += 4
                }
                return [.nack(mediaSSRC: mediaSSRC, sequenceNumbers: seqs)]
            case 15:
                guard let feedback = transportFeedback(b) else { return [.other(packetType: type)] }
                return [.transportFeedback(feedback)]
            default:
                return [.other(packetType: type)]
            }
        case PacketType.payloadFeedback where b.count >= 8:
            let mediaSSRC = readBE32(b, 4)
            switch count {
            case 1:
                return [.pli(mediaSSRC: mediaSSRC)]
            case 4:   // FIR: one FCI entry (SSRC, seq, reserved) per target
                var result: [RTCPPacket] = []
                var i = 8
                while i + 8 <= b.count, result.count < 16 {
                    result.append(.fir(mediaSSRC: readBE32(b, i)))
                    i += 8
                }
                return result.isEmpty ? [.other(packetType: type)] : result
            case 15:
                // REMB: "REMB", num SSRCs, 6-bit exponent, 18-bit mantissa.
                guard b.count >= 16, b[8] == 0x52, b[9] == 0x45, b[10] == 0x4D, b[11] == 0x42 else { return [.other(packetType: type)] }
                let exponent = UInt64(b[13] >> 2)
                let mantissa = UInt64(b[13] & 0x03) << 16 | UInt64(b[14]) << 8 | UInt64(b[15])
                let bitrate = exponent >= 46 ? UInt64.max : mantissa << exponent
                return [.remb(bitrate: bitrate)]
            default:
                return [.other(packetType: type)]
            }
        default:
            return [.other(packetType: type)]
        }
    }

    /// The transport-wide feedback FCI: header, status chunks (run-length or status vector), deltas.
    private static func transportFeedback(_ b: [UInt8]) -> RTCPTransportFeedback? {
        guard b.count >= 16 else { return nil }
        let base = readBE16(b, 8)
        let statusCount = readBE16(b, 10)
        let ref24 = readBE24(b, 12)
        let reference = Int32(bitPattern: ref24 & 0x80_0000 != 0 ? ref24 | 0xFF00_0000 : ref24)
        var feedback = RTCPTransportFeedback(senderSSRC: readBE32(b, 0), mediaSSRC: readBE32(b, 4), baseSequence: base,
                                             packetStatusCount: statusCount, referenceTime: reference, feedbackPacketCount: b[15],
                                             packets: [])
        let total = min(Int(statusCount), maxTransportFeedbackPackets)
        // Symbols: 0 not received, 1 small delta (1 byte), 2 large or negative delta (2 bytes).
        var symbols: [UInt8] = []
        symbols.reserveCapacity(total)
        var i = 16
        while symbols.count < total {
            guard i + 2 <= b.count else { return feedback }   // truncated: header fields only
            let chunk = readBE16(b, i)
            i += 2
            if chunk & 0x8000 == 0 {
                let symbol = UInt8((chunk >> 13) & 0x03)
                let run = Int(chunk & 0x1FFF)
                symbols.append(contentsOf: repeatElement(symbol, count: min(run, total - symbols.count)))
            } else if chunk & 0x4000 == 0 {
                for k in 0..<14 where symbols.count < total { symbols.append(UInt8((chunk >> (13 - k)) & 1)) }
            } else {
                for k in 0..<7 where symbols.count < total { symbols.append(UInt8((chunk >> (12 - 2 * k)) & 3)) }
            }
        }
        var packets: [(sequence: UInt16, delta: Int32?)] = []
        packets.reserveCapacity(total)
        for (k, symbol) in symbols.enumerated() {
            let seq = base &+ UInt16(truncatingIfNeeded: k)
            switch symbol {
            case 1:
                guard i + 1 <= b.count else { return feedback }
                packets.append((seq, Int32(b[i]))); i += 1
            case 2:
                guard i + 2 <= b.count else { return feedback }
                packets.append((seq, Int32(Int16(bitPattern: readBE16(b, i))))); i += 2
            default:
                packets.append((seq, nil))
            }
        }
        feedback.packets = packets
        return feedback
    }

    // MARK: building

    private static func header(count: UInt8, type: UInt8, words: Int) -> [UInt8] {
        var out: [UInt8] = [0x80 | (count & 0x1F), type]
        out.appendBE16(UInt16(truncatingIfNeeded: words - 1))
        return out
    }

    /// A sender report without report blocks (we only send on a WHEP session).
    public static func senderReport(ssrc: UInt32, ntp: UInt64, rtpTimestamp: UInt32, packets: UInt32, octets: UInt32) -> [UInt8] {
        var out = header(count: 0, type: PacketType.senderReport, words: 7)
        out.appendBE32(ssrc)
        out.appendBE64(ntp)
        out.appendBE32(rtpTimestamp)
        out.appendBE32(packets)
        out.appendBE32(octets)
        return out
    }

    /// A receiver report (WHIP: what we received from the publisher); at most 31 blocks.
    public static func receiverReport(ssrc: UInt32, reports: [RTCPReportBlock]) -> [UInt8] {
        let blocks = reports.prefix(31)
        var out = header(count: UInt8(blocks.count), type: PacketType.receiverReport, words: 2 + 6 * blocks.count)
        out.appendBE32(ssrc)
        for r in blocks {
            out.appendBE32(r.ssrc)
            out.append(r.fractionLost)
            let lost = UInt32(bitPattern: min(max(r.cumulativeLost, -0x80_0000), 0x7F_FFFF)) & 0xFF_FFFF
            out.append(UInt8(lost >> 16)); out.append(UInt8(truncatingIfNeeded: lost >> 8)); out.append(UInt8(truncatingIfNeeded: lost))
            out.appendBE32(r.highestSequence)
            out.appendBE32(r.jitter)
            out.appendBE32(r.lastSR)
            out.appendBE32(r.delaySinceLastSR)
        }
        return out
    }

    public static func pli(senderSSRC: UInt32, mediaSSRC: UInt32) -> [UInt8] {
        var out = header(count: 1, type: PacketType.payloadFeedback, words: 3)
        out.appendBE32(senderSSRC)
        out.appendBE32(mediaSSRC)
        return out
    }

    public static func fir(senderSSRC: UInt32, mediaSSRC: UInt32, sequence: UInt8) -> [UInt8] {
        var out = header(count: 4, type: PacketType.payloadFeedback, words: 5)
        out.appendBE32(senderSSRC)
        out.appendBE32(0)
        out.appendBE32(mediaSSRC)
        out.append(sequence)
        out.append(contentsOf: [0, 0, 0])
        return out
    }

    /// A generic NACK for the given lost sequence numbers (grouped into PID + 16-bit masks).
    public static func nack(senderSSRC: UInt32, mediaSSRC: UInt32, sequenceNumbers: [UInt16]) -> [UInt8] {
        var pairs: [(UInt16, UInt16)] = []
        for seq in sequenceNumbers.prefix(1024) {
            if let last = pairs.last, case let d = seq &- last.0, d >= 1, d <= 16 {
                pairs[pairs.count - 1].1 |= 1 << (d - 1)
            } else if pairs.last?.0 != seq {
                pairs.append((seq, 0))
            }
        }
        var out = header(count: 1, type: PacketType.transportFeedback, words: 3 + pairs.count)
        out.appendBE32(senderSSRC)
        out.appendBE32(mediaSSRC)
        for (pid, blp) in pairs { out.appendBE16(pid); out.appendBE16(blp) }
        return out
    }

    /// REMB with one media SSRC.
    public static func remb(senderSSRC: UInt32, bitrate: UInt64, mediaSSRCs: [UInt32]) -> [UInt8] {
        var exponent: UInt64 = 0
        var mantissa = bitrate
        while mantissa > 0x3FFFF { mantissa >>= 1; exponent += 1 }
        let ssrcs = mediaSSRCs.prefix(255)
        var out = header(count: 15, type: PacketType.payloadFeedback, words: 5 + ssrcs.count)
        out.appendBE32(senderSSRC)
        out.appendBE32(0)
        out.append(contentsOf: [0x52, 0x45, 0x4D, 0x42, UInt8(ssrcs.count)])
        out.append(UInt8(exponent << 2) | UInt8(mantissa >> 16))
        out.appendBE16(UInt16(truncatingIfNeeded: mantissa))
        for s in ssrcs { out.appendBE32(s) }
        return out
    }

    /// NTP time (RFC 5905 era 0) for seconds since 1970.
    public static func ntpTimestamp(unixSeconds: Double) -> UInt64 {
        let seconds = max(unixSeconds, 0) + 2_208_988_800
        let whole = UInt64(seconds)
        let fraction = UInt64((seconds - Double(whole)) * 4_294_967_296.0)
        return whole << 32 | min(fraction, 0xFFFF_FFFF)
    }

    /// Round trip time from a report block (RFC 3550 section 6.4.1), with `now` as NTP time; nil without an SR echo.
    public static func roundTripSeconds(_ block: RTCPReportBlock, nowNTP: UInt64) -> Double? {
        guard block.lastSR != 0 else { return nil }
        let middle = UInt32(truncatingIfNeeded: nowNTP >> 16)
        // Wrapping 32-bit arithmetic (16.16 fixed point); a "negative" result is clock skew: 0.
        let rtt = middle &- block.lastSR &- block.delaySinceLastSR
        return rtt >= 0x8000_0000 ? 0 : Double(rtt) / 65536.0
    }
}

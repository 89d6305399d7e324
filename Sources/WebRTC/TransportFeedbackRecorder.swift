/// The receiving side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
/// extensions-01): remembers when each transport sequence number arrived and writes the feedback
/// packets that report it. A WHIP publisher that negotiated transport-cc (Chromium always does)
/// sizes its send rate and its pacer on this feedback; without it Chromium's congestion window
/// fills, its encoder is pushed down to tens of kbit/s and its video waits seconds in the pacer
/// while audio goes straight through (Docs/Benchmarks.md, "WHIP audio and video").
public struct TransportFeedbackRecorder: Sendable {
    /// Unwrapped sequence → arrival (µs since the first arrival), not yet reported.
    private var arrivals: [Int64: Int64] = [:]
    /// The first sequence the next feedback reports (nil: nothing received yet).
    private var next: Int64?
    private var last: Int64?
    private var origin: Int64?
    private var count: UInt8 = 0

    /// At most this many sequence numbers per feedback packet (a burst longer than this is
    /// reported over several packets) and this many remembered (older ones are dropped).
    public static let maxPerPacket = 1024
    public static let capacity = 8192

    public init() {}

    public var isEmpty: Bool { arrivals.isEmpty }

    /// One received packet's transport sequence number and arrival (any µs clock).
    public mutating func record(sequence: UInt16, arrivalMicros: Int64) {
        let seq: Int64
        if let last {
            seq = last + Int64(Int16(bitPattern: sequence &- UInt16(truncatingIfNeeded: last)))
        } else {
            seq = Int64(sequence)
        }
        if origin == nil { origin = arrivalMicros }
        last = max(last ?? seq, seq)
        if next == nil { next = seq }
        guard let next, seq >= next else { return } // already reported as lost
        arrivals[seq] = arrivalMicros - (origin ?? arrivalMicros)
        if arrivals.count > Self.capacity, let oldest = arrivals.keys.min() {
            arrivals[oldest] = nil
            self.next = arrivals.keys.min()
        }
    }

    /// The feedback packet for everything recorded since the last one (nil when nothing is new).
    public mutating func feedback(senderSSRC: UInt32, mediaSSRC: UInt32) -> [UInt8]? {
        guard let base = next ?? arrivals.keys.min(), let newest = arrivals.keys.max(), newest >= base else { return nil }
        let span = min(Int(newest - base) + 1, Self.maxPerPacket)
        let times = (0..<span).map { arrivals[base + Int64($0)] }
        let (packet, reported) = RTCP.transportFeedback(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC,
                                                        baseSequence: UInt16(truncatingIfNeeded: base),
                                                        feedbackPacketCount: count, arrivalMicros: times)
        guard reported > 0 else { return nil }
        for k in 0..<reported { arrivals[base + Int64(k)] = nil }
        next = base + Int64(reported)
        count &+= 1
        return packet
    }
}

extension RTCP {
    /// A transport-wide feedback packet (RTPFB, FMT 15) for `arrivalMicros[k]`, the arrival of
    /// sequence `baseSequence + k` (nil: not received). The first received one sets the reference
    /// time; the range may begin with losses (the previous packet ends on a received sequence, so
    /// the next one often starts on a lost one). Returns the packet and how many sequence numbers
    /// it reports: it stops before a packet whose delta does not fit 16 bits (the next feedback
    /// starts there).
    public static func transportFeedback(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequence: UInt16, feedbackPacketCount: UInt8,
                                         arrivalMicros: [Int64?]) -> (packet: [UInt8], reported: Int) {
        guard let first = arrivalMicros.lazy.compactMap({ $0 }).first else { return ([], 0) }
        // Reference time in 64 ms (24 bits, signed); deltas in 250 µs from the previous arrival.
        let reference = first >= 0 ? first / 64_000 : (first - 63_999) / 64_000
        var previous = reference * 256 // in 250 µs
        var symbols: [UInt8] = []
        var deltas: [UInt8] = []
        for arrival in arrivalMicros.prefix(0xFFFF) {
            guard let arrival else { symbols.append(0); continue }
            let ticks = arrival >= 0 ? arrival / 250 : (arrival - 249) / 250
            let delta = ticks - previous
            if (0...255).contains(delta) {
                symbols.append(1)
                deltas.append(UInt8(delta))
            } else if let wide = Int16(exactly: delta) {
                symbols.append(2)
                deltas.appendBE16(UInt16(bitPattern: wide))
            } else {
                break
            }
            previous = ticks
        }
        while symbols.last == 0 { symbols.removeLast() } // end on a received packet
        var out: [UInt8] = []
        out.appendBE32(senderSSRC)
        out.appendBE32(mediaSSRC)
        out.appendBE16(baseSequence)
        out.appendBE16(UInt16(symbols.count))
        let ref24 = UInt32(bitPattern: Int32(truncatingIfNeeded: reference)) & 0xFF_FFFF
        out.append(UInt8(ref24 >> 16)); out.append(UInt8(truncatingIfNeeded: ref24 >> 8)); out.append(UInt8(truncatingIfNeeded: ref24))
        out.append(feedbackPacketCount)
        // Two-bit status vector chunks: 1 1 then seven symbols.
        for start in stride(from: 0, to: symbols.count, by: 7) {
            var chunk: UInt16 = 0xC000
            for (k, s) in symbols[start..<min(start + 7, symbols.count)].enumerated() { chunk |= UInt16(s) << (12 - 2 * k) }
            out.appendBE16(chunk)
        }
        out += deltas
        // RTCP padding (RFC 3550 §6.4.1): zeros, the last byte their count, and the P bit.
        let pad = (4 - out.count % 4) % 4
        if pad > 0 { out += [UInt8](repeating: 0, count: pad - 1) + [UInt8(pad)] }
        var packet: [UInt8] = [0x80 | (pad > 0 ? 0x20 : 0) | 15, PacketType.transportFeedback]
        packet.appendBE16(UInt16(truncatingIfNeeded: (out.count + 4) / 4 - 1))
        return (packet + out, symbols.count)
    }
}

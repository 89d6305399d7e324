/// Reassembles H.264 access units from RTP (RFC 6184 single NAL, STAP-A, FU-A) for WHIP ingest.
/// An access unit ends at the marker bit (or when the timestamp moves on without one). A FU-A
/// that lost a fragment is dropped whole; sizes are bounded so a hostile sender cannot grow it.
public struct H264Depacketizer: Sendable {
    public let maxAccessUnitBytes: Int
    public let maxNALUnits: Int

    private var nalus: [[UInt8]] = []
    private var bytes = 0
    private var timestamp: UInt32?
    private var fragment: [UInt8]?
    private var lastSequence: UInt16?
    private var overflowed = false

    /// Packets missing from the sequence, fragments dropped, access units dropped for size.
    public private(set) var lostPackets = 0
    public private(set) var droppedFragments = 0
    public private(set) var droppedAccessUnits = 0

    public init(maxAccessUnitBytes: Int = 4 << 20, maxNALUnits: Int = 1024) {
        self.maxAccessUnitBytes = maxAccessUnitBytes
        self.maxNALUnits = maxNALUnits
    }

    /// Feeds one RTP packet; returns an access unit when one is complete.
    public mutating func push(rtp: [UInt8]) -> (nalus: [[UInt8]], timestamp: UInt32, keyframe: Bool)? {
        guard let (header, range) = try? RTPHeader.parse(rtp) else { return nil }
        if let last = lastSequence {
            guard RTPSequence.isNewer(header.sequenceNumber, than: last) else { return nil }   // late or duplicate
            let gap = Int(header.sequenceNumber &- last) - 1
            if gap > 0 {
                lostPackets += gap
                if fragment != nil { fragment = nil; droppedFragments += 1 }
            }
        }
        lastSequence = header.sequenceNumber
        var finished: (nalus: [[UInt8]], timestamp: UInt32, keyframe: Bool)?
        if let ts = timestamp, ts != header.timestamp {
            // The previous access unit's marker was lost: hand it over as it is.
            finished = finish()
        }
        timestamp = header.timestamp
        consume(Array(rtp[range]))
        if header.marker {
            // Two complete units at once only when the marker of the previous one was lost;
            // keep the newer one (a decoder recovers from the older one's absence at the next IDR).
            return finish() ?? finished
        }
        return finished
    }

    private mutating func consume(_ payload: [UInt8]) {
        guard let first = payload.first else { return }
        switch first & 0x1F {
        case 1...23:
            if fragment != nil { fragment = nil; droppedFragments += 1 }
            append(payload)
        case 24:   // STAP-A
            var i = 1
            while i + 2 <= payload.count {
                let size = Int(readBE16(payload, i))
                i += 2
                guard size > 0, i + size <= payload.count else { break }
                append(Array(payload[i..<i + size]))
                i += size
            }
        case 28:   // FU-A
            guard payload.count >= 3 else { return }
            let fu = payload[1]
            let start = fu & 0x80 != 0, end = fu & 0x40 != 0
            if start {
                if fragment != nil { droppedFragments += 1 }
                fragment = [payload[0] & 0xE0 | fu & 0x1F]
            }
            guard fragment != nil else { return }   // its start was lost
            guard (fragment?.count ?? 0) + payload.count - 2 <= maxAccessUnitBytes else {
                fragment = nil; droppedFragments += 1; return
            }
            fragment?.append(contentsOf: payload[2...])
            if end, let nalu = fragment {
                fragment = nil
                append(nalu)
            }
        default:
            return   // STAP-B, MTAP, FU-B: not in packetization mode 1
        }
    }

    private mutating func append(_ nalu: [UInt8]) {
        guard !overflowed else { return }
        guard nalus.count < maxNALUnits, bytes + nalu.count <= maxAccessUnitBytes else {
            overflowed = true
            return
        }
        nalus.append(nalu)
        bytes += nalu.count
    }

    private mutating func finish() -> (nalus: [[UInt8]], timestamp: UInt32, keyframe: Bool)? {
        defer {
            nalus = []; bytes = 0; timestamp = nil; fragment = nil; overflowed = false
        }
        guard let ts = timestamp else { return nil }
        if overflowed { droppedAccessUnits += 1; return nil }
        guard !nalus.isEmpty else { return nil }
        let keyframe = nalus.contains { ($0.first ?? 0) & 0x1F == 5 }
        return (nalus, ts, keyframe)
    }
}

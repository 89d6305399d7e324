/// Why bytes are not an RTP packet.
public enum RTPError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort(Int)
    case badVersion(UInt8)
    case badLength(String)

    public var description: String {
        switch self {
        case .tooShort(let n): "RTP: \(n) bytes is shorter than the header"
        case .badVersion(let v): "RTP: version \(v), not 2"
        case .badLength(let why): "RTP: \(why)"
        }
    }
}

/// One RTP header extension element (RFC 8285): one-byte form for ids 1–14 and 1–16 bytes,
/// two-byte form otherwise.
public struct RTPHeaderExtension: Sendable, Equatable {
    public var id: UInt8
    public var data: [UInt8]
    public init(id: UInt8, data: [UInt8]) { self.id = id; self.data = data }
}

/// The fixed RTP header (RFC 3550 section 5.1) with CSRCs and RFC 8285 extensions.
public struct RTPHeader: Sendable, Equatable {
    public var padding = false
    public var marker = false
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcs: [UInt32] = []
    /// RFC 8285 elements (profiles 0xBEDE and 0x100x).
    public var extensions: [RTPHeaderExtension] = []
    /// Another profile's extension, kept raw (profile, words).
    public var otherExtensionProfile: UInt16?
    public var otherExtensionData: [UInt8] = []

    public init(payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, marker: Bool = false,
                csrcs: [UInt32] = [], extensions: [RTPHeaderExtension] = []) {
        self.payloadType = payloadType & 0x7F
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.marker = marker
        self.csrcs = Array(csrcs.prefix(15))
        self.extensions = extensions
    }

    public func extensionData(id: UInt8) -> [UInt8]? {
        extensions.first { $0.id == id }?.data
    }

    /// Parses the header; `payload` is the range of the payload without padding.
    public static func parse(_ bytes: [UInt8]) throws(RTPError) -> (header: RTPHeader, payload: Range<Int>) {
        guard bytes.count >= 12 else { throw .tooShort(bytes.count) }
        let version = bytes[0] >> 6
        guard version == 2 else { throw .badVersion(version) }
        var header = RTPHeader(payloadType: bytes[1] & 0x7F, sequenceNumber: readBE16(bytes, 2), timestamp: readBE32(bytes, 4),
                               ssrc: readBE32(bytes, 8), marker: bytes[1] & 0x80 != 0)
        header.padding = bytes[0] & 0x20 != 0
        let csrcCount = Int(bytes[0] & 0x0F)
        var offset = 12
        guard offset + 4 * csrcCount <= bytes.count else { throw .badLength("\(csrcCount) CSRCs run past the end") }
        for i in 0..<csrcCount { header.csrcs.append(readBE32(bytes, offset + 4 * i)) }
        offset += 4 * csrcCount
        if bytes[0] & 0x10 != 0 {
            guard offset + 4 <= bytes.count else { throw .badLength("truncated extension header") }
            let profile = readBE16(bytes, offset)
            let length = 4 * Int(readBE16(bytes, offset + 2))
            let start = offset + 4
            guard start + length <= bytes.count else { throw .badLength("extension of \(length) bytes runs past the end") }
            if profile == 0xBEDE {
                header.extensions = parseElements(bytes, start, start + length, twoByte: false)
            } else if profile & 0xFFF0 == 0x1000 {
                header.extensions = parseElements(bytes, start, start + length, twoByte: true)
            } else {
                header.otherExtensionProfile = profile
                header.otherExtensionData = Array(bytes[start..<start + length])
            }
            offset = start + length
        }
        var end = bytes.count
        if header.padding {
            let pad = Int(bytes[bytes.count - 1])
            guard pad >= 1, end - pad >= offset else { throw .badLength("padding of \(pad) bytes is longer than the payload") }
            end -= pad
        }
        return (header, offset..<end)
    }

    private static func parseElements(_ b: [UInt8], _ start: Int, _ end: Int, twoByte: Bool) -> [RTPHeaderExtension] {
        var result: [RTPHeaderExtension] = []
        var i = start
        while i < end, result.count < 32 {
            let first = b[i]
            if first == 0 { i += 1; continue }   // padding between elements
            let id: UInt8, length: Int
            if twoByte {
                guard i + 1 < end else { break }
                id = first; length = Int(b[i + 1]); i += 2
            } else {
                id = first >> 4; length = Int(first & 0x0F) + 1; i += 1
                if id == 15 { break }   // reserved: stop parsing (RFC 8285 section 4.2)
            }
            guard i + length <= end else { break }
            result.append(RTPHeaderExtension(id: id, data: Array(b[i..<i + length])))
            i += length
        }
        return result
    }

    /// Bytes of the serialized header.
    public var size: Int { serialize().count }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(12 + 4 * csrcs.count + 4)
        let hasExtension = !extensions.isEmpty || otherExtensionProfile != nil
        out.append(0x80 | (padding ? 0x20 : 0) | (hasExtension ? 0x10 : 0) | UInt8(min(csrcs.count, 15)))
        out.append((marker ? 0x80 : 0) | (payloadType & 0x7F))
        out.appendBE16(sequenceNumber)
        out.appendBE32(timestamp)
        out.appendBE32(ssrc)
        for c in csrcs.prefix(15) { out.appendBE32(c) }
        if let profile = otherExtensionProfile {
            var data = otherExtensionData
            while data.count % 4 != 0 { data.append(0) }
            out.appendBE16(profile)
            out.appendBE16(UInt16(min(data.count / 4, Int(UInt16.max))))
            out.append(contentsOf: data.prefix(4 * Int(UInt16.max)))
        } else if !extensions.isEmpty {
            let oneByte = extensions.allSatisfy { (1...14).contains($0.id) && (1...16).contains($0.data.count) }
            var body: [UInt8] = []
            for e in extensions {
                if oneByte {
                    body.append(e.id << 4 | UInt8(e.data.count - 1))
                } else {
                    body.append(e.id)
                    body.append(UInt8(min(e.data.count, 255)))
                }
                body.append(contentsOf: e.data.prefix(255))
            }
            while body.count % 4 != 0 { body.append(0) }
            out.appendBE16(oneByte ? 0xBEDE : 0x1000)
            out.appendBE16(UInt16(body.count / 4))
            out.append(contentsOf: body)
        }
        return out
    }
}

/// RTP sequence number arithmetic across the 16-bit wrap.
public enum RTPSequence {
    /// True when `a` comes after `b` (within half the number space).
    public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        a != b && a &- b < 0x8000
    }
}

extension RTPHeader {
    /// `packet` with header extension `id` set to `data` (added, or replaced), payload and
    /// padding untouched: how a sender stamps the transport-wide sequence number (RFC 8285
    /// element, e.g. 2 bytes) on a packet the packetizer already wrote. nil if `packet` is not RTP.
    public static func settingExtension(in packet: [UInt8], id: UInt8, data: [UInt8]) -> [UInt8]? {
        guard let (header, payload) = try? RTPHeader.parse(packet), header.otherExtensionProfile == nil,
              (1...255).contains(id), (1...255).contains(data.count) else { return nil }
        var h = header
        if let i = h.extensions.firstIndex(where: { $0.id == id }) {
            h.extensions[i].data = data
        } else {
            h.extensions.append(RTPHeaderExtension(id: id, data: data))
        }
        // Payload plus the padding that `parse` left out of the range.
        return h.serialize() + packet[payload.lowerBound...]
    }

    /// The transport-wide sequence number's 2 bytes, for `settingExtension`.
    public static func transportSequenceData(_ seq: UInt16) -> [UInt8] {
        [UInt8(seq >> 8), UInt8(truncatingIfNeeded: seq)]
    }
}

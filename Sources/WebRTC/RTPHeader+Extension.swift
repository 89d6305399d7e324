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

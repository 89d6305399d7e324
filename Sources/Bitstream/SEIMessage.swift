/// One SEI message (payload type + payload bytes, without emulation prevention), and the
/// SEI NAL units that carry them in H.264 (type 6) and HEVC (prefix SEI, type 39).
public struct SEIMessage: Sendable, Equatable {
    public var payloadType: Int
    public var payload: [UInt8]

    public static let userDataUnregistered = 5

    public init(payloadType: Int, payload: [UInt8]) {
        self.payloadType = payloadType
        self.payload = payload
    }

    /// For user_data_unregistered: the 16-byte UUID that says whose data this is.
    public var uuid: [UInt8]? {
        guard payloadType == Self.userDataUnregistered, payload.count >= 16 else { return nil }
        return Array(payload.prefix(16))
    }

    /// The messages of one SEI NAL unit (with its NAL header). Nil if the unit is not an SEI
    /// of the given codec or a message runs past the end.
    public static func parse(nal: some Collection<UInt8>, hevc: Bool = false) -> [SEIMessage]? {
        let bytes = Array(nal)
        let headerSize = hevc ? 2 : 1
        guard bytes.count > headerSize else { return nil }
        if hevc {
            let type = (bytes[0] >> 1) & 0x3F
            guard type == 39 || type == 40 else { return nil }
        } else {
            guard bytes[0] & 0x1F == 6 else { return nil }
        }
        let rbsp = EmulationPrevention.remove(bytes[headerSize...])
        var messages: [SEIMessage] = []
        var i = 0
        // more_rbsp_data: stop at the trailing 0x80 (rbsp_stop_one_bit + alignment).
        while i < rbsp.count && !(i == rbsp.count - 1 && rbsp[i] == 0x80) {
            guard let type = readValue(rbsp, &i), let size = readValue(rbsp, &i), size <= rbsp.count - i else {
                return nil
            }
            messages.append(SEIMessage(payloadType: type, payload: Array(rbsp[i..<i + size])))
            i += size
        }
        return messages
    }

    /// ff-coded value: 0xFF bytes each add 255, the first smaller byte ends it.
    private static func readValue(_ b: [UInt8], _ i: inout Int) -> Int? {
        var value = 0
        while i < b.count {
            let byte = b[i]
            i += 1
            value += Int(byte)
            if byte != 0xFF { return value }
        }
        return nil
    }

    private static func writeValue(_ value: Int, into out: inout [UInt8]) {
        var v = value
        while v >= 255 {
            out.append(0xFF)
            v -= 255
        }
        out.append(UInt8(v))
    }

    /// An SEI NAL unit (header, emulation-prevented payload, trailing bits) carrying `messages`.
    public static func nal(_ messages: [SEIMessage], hevc: Bool = false) -> [UInt8] {
        var rbsp: [UInt8] = []
        for m in messages {
            writeValue(m.payloadType, into: &rbsp)
            writeValue(m.payload.count, into: &rbsp)
            rbsp += m.payload
        }
        rbsp.append(0x80)
        // Prefix SEI, nuh_layer_id 0, nuh_temporal_id_plus1 1.
        let header: [UInt8] = hevc ? [39 << 1, 1] : [6]
        return header + EmulationPrevention.add(rbsp)
    }

    public func nal(hevc: Bool = false) -> [UInt8] { Self.nal([self], hevc: hevc) }

    /// The user_data_unregistered messages of a length-prefixed access unit (AVCC/HVCC).
    public static func userDataUnregistered(inLengthPrefixed bytes: some Collection<UInt8>, hevc: Bool = false) -> [SEIMessage] {
        guard let units = NALUnits.splitLengthPrefixed(bytes) else { return [] }
        var found: [SEIMessage] = []
        for unit in units {
            let isSEI = hevc ? NALUnits.hevcType(unit) == 39 || NALUnits.hevcType(unit) == 40 : NALUnits.h264Type(unit) == 6
            guard isSEI, let messages = parse(nal: unit, hevc: hevc) else { continue }
            found += messages.filter { $0.payloadType == userDataUnregistered }
        }
        return found
    }
}

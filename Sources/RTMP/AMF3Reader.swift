import NIOCore

/// Decodes the AMF3 values clients put in commands and metadata (after an AMF0 0x11 switch
/// marker, or in type 15/17 messages). Reference tables are per value, as AMF0's switch resets them.
struct AMF3Reader {
    private var strings: [String] = []
    private var objects: [AMFValue] = []
    private var traits: [(sealed: [String], dynamic: Bool)] = []

    mutating func read(_ buffer: inout ByteBuffer, depth: Int = 0) throws -> AMFValue {
        guard depth < AMF0.maxDepth else { throw RTMPError.malformedAMF("AMF3 nesting too deep") }
        guard let marker = buffer.readInteger(as: UInt8.self) else { throw RTMPError.malformedAMF("truncated AMF3") }
        switch marker {
        case 0x00: return .undefined
        case 0x01: return .null
        case 0x02: return .boolean(false)
        case 0x03: return .boolean(true)
        case 0x04:
            let u = try readU29(&buffer)
            let signed = u & 0x1000_0000 != 0 ? Int32(bitPattern: u | 0xE000_0000) : Int32(u)
            return .number(Double(signed))
        case 0x05:
            guard let bits = buffer.readInteger(as: UInt64.self) else { throw RTMPError.malformedAMF("truncated AMF3 double") }
            return .number(Double(bitPattern: bits))
        case 0x06:
            return .string(try readString(&buffer))
        case 0x08:
            let u = try readU29(&buffer)
            if u & 1 == 0 { return try objectRef(u >> 1) }
            guard let bits = buffer.readInteger(as: UInt64.self) else { throw RTMPError.malformedAMF("truncated AMF3 date") }
            let v = AMFValue.date(Double(bitPattern: bits))
            objects.append(v)
            return v
        case 0x07, 0x0B, 0x0C:
            let u = try readU29(&buffer)
            if u & 1 == 0 { return try objectRef(u >> 1) }
            guard let s = buffer.readString(length: Int(u >> 1)) else {
                // Byte arrays need not be UTF-8: skip them.
                guard buffer.readableBytes >= Int(u >> 1) else { throw RTMPError.malformedAMF("truncated AMF3 bytes") }
                buffer.moveReaderIndex(forwardBy: Int(u >> 1))
                objects.append(.undefined)
                return .undefined
            }
            objects.append(.string(s))
            return .string(s)
        case 0x09:
            let u = try readU29(&buffer)
            if u & 1 == 0 { return try objectRef(u >> 1) }
            var assoc: [AMFProperty] = []
            while true {
                let key = try readString(&buffer)
                if key.isEmpty { break }
                assoc.append(AMFProperty(key, try read(&buffer, depth: depth + 1)))
            }
            let count = Int(u >> 1)
            guard count <= buffer.readableBytes else { throw RTMPError.malformedAMF("bad AMF3 array count") }
            var dense: [AMFValue] = []
            for _ in 0..<count { dense.append(try read(&buffer, depth: depth + 1)) }
            let v: AMFValue = assoc.isEmpty ? .strictArray(dense) : .ecmaArray(assoc)
            objects.append(v)
            return v
        case 0x0A:
            let u = try readU29(&buffer)
            if u & 1 == 0 { return try objectRef(u >> 1) }
            let trait: (sealed: [String], dynamic: Bool)
            if u & 2 == 0 {
                let i = Int(u >> 2)
                guard i < traits.count else { throw RTMPError.malformedAMF("bad AMF3 traits reference") }
                trait = traits[i]
            } else {
                guard u & 4 == 0 else { throw RTMPError.malformedAMF("externalizable AMF3 object") }
                _ = try readString(&buffer) // class name
                var sealed: [String] = []
                for _ in 0..<(u >> 4) { sealed.append(try readString(&buffer)) }
                trait = (sealed, u & 8 != 0)
                traits.append(trait)
            }
            var props: [AMFProperty] = []
            for key in trait.sealed { props.append(AMFProperty(key, try read(&buffer, depth: depth + 1))) }
            if trait.dynamic {
                while true {
                    let key = try readString(&buffer)
                    if key.isEmpty { break }
                    props.append(AMFProperty(key, try read(&buffer, depth: depth + 1)))
                }
            }
            objects.append(.object(props))
            return .object(props)
        default:
            throw RTMPError.malformedAMF("unsupported AMF3 marker \(marker)")
        }
    }

    private func objectRef(_ i: UInt32) throws -> AMFValue {
        guard Int(i) < objects.count else { throw RTMPError.malformedAMF("bad AMF3 object reference") }
        return objects[Int(i)]
    }

    private mutating func readString(_ buffer: inout ByteBuffer) throws -> String {
        let u = try readU29(&buffer)
        if u & 1 == 0 {
            guard Int(u >> 1) < strings.count else { throw RTMPError.malformedAMF("bad AMF3 string reference") }
            return strings[Int(u >> 1)]
        }
        guard let s = buffer.readString(length: Int(u >> 1)) else { throw RTMPError.malformedAMF("truncated AMF3 string") }
        if !s.isEmpty { strings.append(s) }
        return s
    }

    private func readU29(_ buffer: inout ByteBuffer) throws -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 {
            guard let b = buffer.readInteger(as: UInt8.self) else { throw RTMPError.malformedAMF("truncated AMF3 integer") }
            if i == 3 { return value << 8 | UInt32(b) }
            value = value << 7 | UInt32(b & 0x7F)
            if b & 0x80 == 0 { return value }
        }
        return value
    }
}

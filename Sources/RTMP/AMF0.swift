import NIOCore

/// AMF0 encoding and decoding (AMF0 spec), with the AVM+ switch to AMF3 values (marker 0x11).
public enum AMF0 {
    static let maxDepth = 32

    public static func readAll(_ buffer: inout ByteBuffer) throws -> [AMFValue] {
        var values: [AMFValue] = []
        while buffer.readableBytes > 0 {
            values.append(try read(&buffer))
        }
        return values
    }

    public static func read(_ buffer: inout ByteBuffer) throws -> AMFValue {
        try read(&buffer, depth: 0)
    }

    static func read(_ buffer: inout ByteBuffer, depth: Int) throws -> AMFValue {
        guard depth < maxDepth else { throw RTMPError.malformedAMF("nesting deeper than \(maxDepth)") }
        guard let marker = buffer.readInteger(as: UInt8.self) else { throw RTMPError.malformedAMF("truncated") }
        switch marker {
        case 0x00:
            guard let bits = buffer.readInteger(as: UInt64.self) else { throw RTMPError.malformedAMF("truncated number") }
            return .number(Double(bitPattern: bits))
        case 0x01:
            guard let b = buffer.readInteger(as: UInt8.self) else { throw RTMPError.malformedAMF("truncated boolean") }
            return .boolean(b != 0)
        case 0x02:
            return .string(try readShortString(&buffer))
        case 0x03:
            return .object(try readProperties(&buffer, depth: depth))
        case 0x05:
            return .null
        case 0x06:
            return .undefined
        case 0x08:
            guard buffer.readInteger(as: UInt32.self) != nil else { throw RTMPError.malformedAMF("truncated ECMA array") }
            // The count is a hint only; encoders get it wrong. The end marker is authoritative.
            return .ecmaArray(try readProperties(&buffer, depth: depth))
        case 0x0A:
            guard let count = buffer.readInteger(as: UInt32.self), Int(count) <= buffer.readableBytes else {
                throw RTMPError.malformedAMF("bad strict array count")
            }
            var items: [AMFValue] = []
            for _ in 0..<count { items.append(try read(&buffer, depth: depth + 1)) }
            return .strictArray(items)
        case 0x0B:
            guard let bits = buffer.readInteger(as: UInt64.self), buffer.readInteger(as: Int16.self) != nil else {
                throw RTMPError.malformedAMF("truncated date")
            }
            return .date(Double(bitPattern: bits))
        case 0x0C, 0x0F:
            guard let len = buffer.readInteger(as: UInt32.self), let s = buffer.readString(length: Int(len)) else {
                throw RTMPError.malformedAMF("truncated long string")
            }
            return .string(s)
        case 0x0D:
            return .undefined // "unsupported" marker
        case 0x10:
            _ = try readShortString(&buffer) // class name
            return .object(try readProperties(&buffer, depth: depth))
        case 0x11:
            var amf3 = AMF3Reader()
            return try amf3.read(&buffer)
        default:
            throw RTMPError.malformedAMF("unsupported AMF0 marker \(marker)")
        }
    }

    static func readShortString(_ buffer: inout ByteBuffer) throws -> String {
        guard let len = buffer.readInteger(as: UInt16.self), let s = buffer.readString(length: Int(len)) else {
            throw RTMPError.malformedAMF("truncated string")
        }
        return s
    }

    static func readProperties(_ buffer: inout ByteBuffer, depth: Int) throws -> [AMFProperty] {
        var props: [AMFProperty] = []
        while true {
            let key = try readShortString(&buffer)
            if key.isEmpty, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 0x09 {
                buffer.moveReaderIndex(forwardBy: 1)
                return props
            }
            if buffer.readableBytes == 0 { return props } // missing end marker: lenient, as Flash
            props.append(AMFProperty(key, try read(&buffer, depth: depth + 1)))
        }
    }

    public static func write(_ values: [AMFValue], into buffer: inout ByteBuffer) {
        for v in values { write(v, into: &buffer) }
    }

    public static func encode(_ values: [AMFValue]) -> ByteBuffer {
        var b = ByteBufferAllocator().buffer(capacity: 256)
        write(values, into: &b)
        return b
    }

    public static func write(_ value: AMFValue, into buffer: inout ByteBuffer) {
        switch value {
        case .number(let n):
            buffer.writeInteger(UInt8(0x00))
            buffer.writeInteger(n.bitPattern)
        case .boolean(let b):
            buffer.writeInteger(UInt8(0x01))
            buffer.writeInteger(UInt8(b ? 1 : 0))
        case .string(let s):
            let utf8 = s.utf8.count
            if utf8 > 0xFFFF {
                buffer.writeInteger(UInt8(0x0C))
                buffer.writeInteger(UInt32(utf8))
            } else {
                buffer.writeInteger(UInt8(0x02))
                buffer.writeInteger(UInt16(utf8))
            }
            buffer.writeString(s)
        case .object(let props):
            buffer.writeInteger(UInt8(0x03))
            writeProperties(props, into: &buffer)
        case .null:
            buffer.writeInteger(UInt8(0x05))
        case .undefined:
            buffer.writeInteger(UInt8(0x06))
        case .ecmaArray(let props):
            buffer.writeInteger(UInt8(0x08))
            buffer.writeInteger(UInt32(props.count))
            writeProperties(props, into: &buffer)
        case .strictArray(let items):
            buffer.writeInteger(UInt8(0x0A))
            buffer.writeInteger(UInt32(items.count))
            for i in items { write(i, into: &buffer) }
        case .date(let ms):
            buffer.writeInteger(UInt8(0x0B))
            buffer.writeInteger(ms.bitPattern)
            buffer.writeInteger(Int16(0))
        }
    }

    static func writeProperties(_ props: [AMFProperty], into buffer: inout ByteBuffer) {
        for p in props {
            let key = String(p.key.utf8.prefix(0xFFFF)) ?? ""
            buffer.writeInteger(UInt16(key.utf8.count))
            buffer.writeString(key)
            write(p.value, into: &buffer)
        }
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt8(0x09))
    }
}

import CZlib
import Crypto

/// STUN (RFC 8489) as ICE-lite needs it: parse a Binding request, check MESSAGE-INTEGRITY with
/// the short-term credential and FINGERPRINT, answer with a Binding success or error response.
public enum STUN {
    public static let magicCookie: UInt32 = 0x2112_A442
    static let magicCookieBytes: [UInt8] = [0x21, 0x12, 0xA4, 0x42]
    static let fingerprintXOR: UInt32 = 0x5354_554E
    /// A datagram carries at most this many attributes; Chromium's requests carry 6 or 7.
    public static let maxAttributes = 32
    /// ICE checks are small; anything bigger is refused before it is read.
    public static let maxMessageSize = 1500

    // MARK: parsing

    public static func parse(_ bytes: [UInt8]) throws(STUNError) -> STUNMessage {
        guard bytes.count >= 20 else { throw .tooShort(bytes.count) }
        guard bytes.count <= maxMessageSize else { throw .notSTUN("\(bytes.count) bytes is larger than \(maxMessageSize)") }
        let type = readBE16(bytes, 0)
        guard type & 0xC000 == 0 else { throw .notSTUN("the first two bits are not zero") }
        guard readBE32(bytes, 4) == magicCookie else { throw .notSTUN("no magic cookie") }
        let length = Int(readBE16(bytes, 2))
        guard length % 4 == 0, 20 + length == bytes.count else { throw .badLength(declared: length, actual: bytes.count - 20) }
        var attributes: [STUNMessage.Attribute] = []
        var offset = 20
        while offset < bytes.count {
            guard attributes.count < maxAttributes else { throw .tooManyAttributes(maxAttributes) }
            guard offset + 4 <= bytes.count else { throw .badAttribute(type: 0, "truncated header at byte \(offset)") }
            let attrType = readBE16(bytes, offset)
            let attrLength = Int(readBE16(bytes, offset + 2))
            let start = offset + 4
            guard start + attrLength <= bytes.count else {
                throw .badAttribute(type: attrType, "length \(attrLength) runs past the end")
            }
            attributes.append(.init(type: attrType, value: Array(bytes[start..<start + attrLength])))
            offset = start + (attrLength + 3) & ~3
        }
        let method = (type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2
        let classBits = (type & 0x0010) >> 4 | (type & 0x0100) >> 7
        return STUNMessage(messageClass: STUNMessage.MessageClass(rawValue: classBits) ?? .request,
                           method: method, transactionID: Array(bytes[8..<20]), attributes: attributes)
    }

    /// USERNAME of a Binding request ("localUfrag:remoteUfrag" from our side's view), nil if absent.
    public static func username(of message: STUNMessage) -> String? {
        guard let v = message.attribute(STUNMessage.AttributeType.username), !v.isEmpty, v.count <= 513 else { return nil }
        return String(validating: v, as: UTF8.self)
    }

    /// The ufrag the request is addressed to: the part of USERNAME before the colon.
    public static func localUfrag(of message: STUNMessage) -> String? {
        guard let name = username(of: message), let colon = name.firstIndex(of: ":") else { return nil }
        return String(name[..<colon])
    }

    // MARK: integrity

    /// Offsets of each attribute header in a well-formed message (bounded like `parse`).
    private static func attributeOffsets(_ bytes: [UInt8]) -> [(type: UInt16, offset: Int, length: Int)]? {
        guard bytes.count >= 20, bytes.count <= maxMessageSize, readBE32(bytes, 4) == magicCookie,
              20 + Int(readBE16(bytes, 2)) == bytes.count else { return nil }
        var result: [(UInt16, Int, Int)] = []
        var offset = 20
        while offset < bytes.count {
            guard result.count < maxAttributes, offset + 4 <= bytes.count else { return nil }
            let length = Int(readBE16(bytes, offset + 2))
            guard offset + 4 + length <= bytes.count else { return nil }
            result.append((readBE16(bytes, offset), offset, length))
            offset += 4 + (length + 3) & ~3
        }
        return result
    }

    /// MESSAGE-INTEGRITY with the short-term credential (the key is the password, RFC 8489
    /// section 9.1.1): HMAC-SHA1 over the message up to the attribute, with the header's length
    /// counting up to the end of MESSAGE-INTEGRITY.
    public static func checkIntegrity(_ bytes: [UInt8], password: String) -> Bool {
        guard let attrs = attributeOffsets(bytes),
              let mi = attrs.first(where: { $0.type == STUNMessage.AttributeType.messageIntegrity }),
              mi.length == 20 else { return false }
        let expected = integrity(of: bytes, upTo: mi.offset, password: password)
        let actual = bytes[mi.offset + 4..<mi.offset + 24]
        // Constant time: the comparison does not stop at the first differing byte.
        return zip(expected, actual).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func integrity(of bytes: [UInt8], upTo offset: Int, password: String) -> [UInt8] {
        var covered = Array(bytes[0..<offset])
        covered.writeBE16(UInt16(offset - 20 + 24), at: 2)
        let key = SymmetricKey(data: Array(password.utf8))
        return Array(HMAC<Insecure.SHA1>.authenticationCode(for: covered, using: key))
    }

    /// FINGERPRINT (CRC-32 of the message before it, XOR 0x5354554e); it must be the last attribute.
    public static func checkFingerprint(_ bytes: [UInt8]) -> Bool {
        guard let attrs = attributeOffsets(bytes), let last = attrs.last,
              last.type == STUNMessage.AttributeType.fingerprint, last.length == 4 else { return false }
        return fingerprint(of: bytes, upTo: last.offset) == readBE32(bytes, last.offset + 4)
    }

    static func fingerprint(of bytes: [UInt8], upTo offset: Int) -> UInt32 {
        let crc = bytes.withUnsafeBufferPointer { buf in
            crc32(0, buf.baseAddress, uInt(offset))
        }
        return UInt32(truncatingIfNeeded: crc) ^ fingerprintXOR
    }

    // MARK: building

    /// Serializes a message; with a password appends MESSAGE-INTEGRITY, then FINGERPRINT if asked.
    /// `padding` is the byte that fills attributes to 4 bytes (RFC 5769's vectors use spaces).
    public static func encode(_ message: STUNMessage, integrityPassword: String? = nil, fingerprint addFingerprint: Bool = true,
                              padding: UInt8 = 0) -> [UInt8] {
        let m = message.method & 0x0FFF, c = message.messageClass.rawValue
        let type = (m & 0x000F) | (m & 0x0070) << 1 | (m & 0x0F80) << 2 | (c & 1) << 4 | (c & 2) << 7
        var out: [UInt8] = []
        out.reserveCapacity(128)
        out.appendBE16(type)
        out.appendBE16(0)
        out.append(contentsOf: magicCookieBytes)
        let tid = message.transactionID.count == 12 ? message.transactionID : Array((message.transactionID + [UInt8](repeating: 0, count: 12)).prefix(12))
        out.append(contentsOf: tid)
        for attribute in message.attributes {
            let value = attribute.value.prefix(Int(UInt16.max) - 3)
            out.appendBE16(attribute.type)
            out.appendBE16(UInt16(value.count))
            out.append(contentsOf: value)
            while out.count % 4 != 0 { out.append(padding) }
        }
        if let password = integrityPassword {
            let offset = out.count
            let mac = integrity(of: out, upTo: offset, password: password)
            out.appendBE16(STUNMessage.AttributeType.messageIntegrity)
            out.appendBE16(20)
            out.append(contentsOf: mac)
        }
        if addFingerprint {
            let offset = out.count
            out.writeBE16(UInt16(offset - 20 + 8), at: 2)
            let crc = fingerprint(of: out, upTo: offset)
            out.appendBE16(STUNMessage.AttributeType.fingerprint)
            out.appendBE16(4)
            out.appendBE32(crc)
        }
        out.writeBE16(UInt16(out.count - 20), at: 2)
        return out
    }

    /// XOR-MAPPED-ADDRESS value for a 4- or 16-byte address.
    public static func xorMappedAddressValue(ip: [UInt8], port: UInt16, transactionID: [UInt8]) -> [UInt8] {
        let mask = magicCookieBytes + transactionID
        var v: [UInt8] = [0, ip.count == 16 ? 2 : 1]
        v.appendBE16(port ^ 0x2112)
        let addr = ip.count == 16 ? ip : Array((ip + [0, 0, 0, 0]).prefix(4))
        for (i, byte) in addr.enumerated() { v.append(byte ^ (i < mask.count ? mask[i] : 0)) }
        return v
    }

    /// A Binding success response: XOR-MAPPED-ADDRESS (the request's source), MESSAGE-INTEGRITY
    /// keyed with our password, FINGERPRINT.
    public static func bindingSuccess(for request: STUNMessage, mappedIP: [UInt8], mappedPort: UInt16, password: String) -> [UInt8] {
        let response = STUNMessage(messageClass: .successResponse, method: request.method, transactionID: request.transactionID, attributes: [
            .init(type: STUNMessage.AttributeType.xorMappedAddress,
                  value: xorMappedAddressValue(ip: mappedIP, port: mappedPort, transactionID: request.transactionID)),
        ])
        return encode(response, integrityPassword: password)
    }

    /// A Binding error response (e.g. 400 Bad Request, 401 Unauthorized, 487 Role Conflict) with FINGERPRINT.
    public static func bindingError(for request: STUNMessage, code: Int, reason: String) -> [UInt8] {
        let code = min(max(code, 300), 699)
        var value: [UInt8] = [0, 0, UInt8(code / 100), UInt8(code % 100)]
        value.append(contentsOf: Array(reason.utf8.prefix(763)))
        let response = STUNMessage(messageClass: .errorResponse, method: request.method, transactionID: request.transactionID,
                                   attributes: [.init(type: STUNMessage.AttributeType.errorCode, value: value)])
        return encode(response)
    }

    /// A Binding request as a controlling ICE agent sends it (for tests and clients).
    public static func bindingRequest(transactionID: [UInt8], username: String, password: String, priority: UInt32,
                                      iceControlling tieBreaker: UInt64 = 0, useCandidate: Bool = false) -> [UInt8] {
        var attributes: [STUNMessage.Attribute] = [.init(type: STUNMessage.AttributeType.username, value: Array(username.utf8))]
        var p: [UInt8] = []; p.appendBE32(priority)
        attributes.append(.init(type: STUNMessage.AttributeType.priority, value: p))
        var t: [UInt8] = []; t.appendBE64(tieBreaker)
        attributes.append(.init(type: STUNMessage.AttributeType.iceControlling, value: t))
        if useCandidate { attributes.append(.init(type: STUNMessage.AttributeType.useCandidate, value: [])) }
        return encode(STUNMessage(messageClass: .request, transactionID: transactionID, attributes: attributes), integrityPassword: password)
    }
}

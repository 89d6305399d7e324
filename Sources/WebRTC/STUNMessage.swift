/// A STUN message (RFC 8489): class, method, transaction ID and attributes in wire order.
public struct STUNMessage: Sendable, Equatable {
    public enum MessageClass: UInt16, Sendable {
        case request = 0, indication = 1, successResponse = 2, errorResponse = 3
    }

    public struct Attribute: Sendable, Equatable {
        public var type: UInt16
        public var value: [UInt8]
        public init(type: UInt16, value: [UInt8]) { self.type = type; self.value = value }
    }

    /// Attribute types used by ICE (RFC 8489 section 18.3, RFC 8445 section 16.1).
    public enum AttributeType {
        public static let mappedAddress: UInt16 = 0x0001
        public static let username: UInt16 = 0x0006
        public static let messageIntegrity: UInt16 = 0x0008
        public static let errorCode: UInt16 = 0x0009
        public static let unknownAttributes: UInt16 = 0x000A
        public static let xorMappedAddress: UInt16 = 0x0020
        public static let priority: UInt16 = 0x0024
        public static let useCandidate: UInt16 = 0x0025
        public static let software: UInt16 = 0x8022
        public static let fingerprint: UInt16 = 0x8028
        public static let iceControlled: UInt16 = 0x8029
        public static let iceControlling: UInt16 = 0x802A
    }

    public static let bindingMethod: UInt16 = 0x001

    public var messageClass: MessageClass
    /// The 12-bit method; 0x001 is Binding.
    public var method: UInt16
    /// 12 bytes.
    public var transactionID: [UInt8]
    public var attributes: [Attribute]

    public init(messageClass: MessageClass, method: UInt16 = STUNMessage.bindingMethod, transactionID: [UInt8], attributes: [Attribute] = []) {
        self.messageClass = messageClass
        self.method = method
        self.transactionID = transactionID
        self.attributes = attributes
    }

    public var isBindingRequest: Bool { messageClass == .request && method == Self.bindingMethod }

    /// The first attribute of a type.
    public func attribute(_ type: UInt16) -> [UInt8]? {
        attributes.first { $0.type == type }?.value
    }

    public var priority: UInt32? {
        guard let v = attribute(AttributeType.priority), v.count == 4 else { return nil }
        return readBE32(v, 0)
    }

    public var useCandidate: Bool { attribute(AttributeType.useCandidate) != nil }

    public var iceControlling: UInt64? { tieBreaker(AttributeType.iceControlling) }
    public var iceControlled: UInt64? { tieBreaker(AttributeType.iceControlled) }

    private func tieBreaker(_ type: UInt16) -> UInt64? {
        guard let v = attribute(type), v.count == 8 else { return nil }
        return UInt64(readBE32(v, 0)) << 32 | UInt64(readBE32(v, 4))
    }

    /// XOR-MAPPED-ADDRESS decoded: 4 or 16 address bytes and the port.
    public var xorMappedAddress: (ip: [UInt8], port: UInt16)? {
        guard let v = attribute(AttributeType.xorMappedAddress), v.count >= 8 else { return nil }
        let port = readBE16(v, 2) ^ 0x2112
        let mask = STUN.magicCookieBytes + transactionID
        switch v[1] {
        case 1 where v.count == 8:
            return ((0..<4).map { v[4 + $0] ^ mask[$0] }, port)
        case 2 where v.count == 20 && mask.count == 16:
            return ((0..<16).map { v[4 + $0] ^ mask[$0] }, port)
        default:
            return nil
        }
    }

    /// ERROR-CODE decoded.
    public var errorCode: (code: Int, reason: String)? {
        guard let v = attribute(AttributeType.errorCode), v.count >= 4 else { return nil }
        let code = Int(v[2] & 0x07) * 100 + Int(v[3])
        return (code, String(decoding: v[4...], as: UTF8.self))
    }
}

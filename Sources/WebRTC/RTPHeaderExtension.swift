/// One RTP header extension element (RFC 8285): one-byte form for ids 1–14 and 1–16 bytes,
/// two-byte form otherwise.
public struct RTPHeaderExtension: Sendable, Equatable {
    public var id: UInt8
    public var data: [UInt8]
    public init(id: UInt8, data: [UInt8]) { self.id = id; self.data = data }
}

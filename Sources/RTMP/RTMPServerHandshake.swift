import NIOCore

/// Server side of the RTMP handshake (simple handshake). C0+C1 in, S0+S1+S2 out, C2 in.
///
/// Clients that use the digest ("complex") handshake accept this too: S2 echoes C1 and S1
/// carries a zero version field, which tells Flash-era clients that no digest is expected.
public struct RTMPServerHandshake: Sendable {
    public static let packetSize = 1536

    enum State { case waitingC0C1, waitingC2, done }
    private var state = State.waitingC0C1
    private let serverTime: UInt32
    private let randomBytes: [UInt8]

    public enum Action: Equatable, Sendable {
        case needMoreData
        /// Send these bytes (S0+S1+S2); keep feeding.
        case send(ByteBuffer)
        /// Handshake finished; whatever is left in the buffer is chunk data.
        case complete
    }

    public init(serverTime: UInt32 = 0, random: [UInt8]? = nil) {
        self.serverTime = serverTime
        self.randomBytes = random ?? (0..<(Self.packetSize - 8)).map { _ in UInt8.random(in: 0...255) }
    }

    public var isComplete: Bool { state == .done }

    public mutating func feed(_ buffer: inout ByteBuffer) throws -> Action {
        switch state {
        case .waitingC0C1:
            guard buffer.readableBytes >= 1 + Self.packetSize else { return .needMoreData }
            let version = buffer.readInteger(as: UInt8.self)!
            guard version == 3 else { throw RTMPError.badHandshakeVersion(version) }
            let c1 = buffer.readSlice(length: Self.packetSize)!
            var out = ByteBufferAllocator().buffer(capacity: 1 + 2 * Self.packetSize)
            out.writeInteger(UInt8(3))
            out.writeInteger(serverTime)
            out.writeInteger(UInt32(0))
            out.writeBytes(randomBytes)
            out.writeImmutableBuffer(c1)
            state = .waitingC2
            return .send(out)
        case .waitingC2:
            guard buffer.readableBytes >= Self.packetSize else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: Self.packetSize) // C2 echoes S1; nothing to verify.
            state = .done
            return .complete
        case .done:
            return .complete
        }
    }
}

import NIOCore
import Testing
@testable import RTMP

@Suite struct RTMPServerHandshakeTests {
    @Test func byteByByteHandshakeEchoesC1AndKeepsTrailingBytes() throws {
        var hs = RTMPServerHandshake(serverTime: 7)
        let c1 = TestBytes.pattern(1536, seed: 3)
        var input = ByteBuffer(bytes: [3])
        input.writeImmutableBuffer(c1)
        input.writeImmutableBuffer(TestBytes.pattern(1536, seed: 5)) // C2
        input.writeBytes([0x02, 0xAA]) // first bytes of chunk data
        var pending = ByteBuffer()
        var reply: ByteBuffer?
        var completed = false
        for byte in input.readableBytesView {
            pending.writeInteger(byte)
            switch try hs.feed(&pending) {
            case .needMoreData: break
            case .send(let r): reply = r
            case .complete: completed = true
            }
            if completed { break }
        }
        // Completion arrives with the last C2 byte; the chunk bytes after it are not consumed.
        #expect(completed)
        let r = try #require(reply)
        #expect(r.readableBytes == 1 + 2 * 1536)
        #expect(r.getInteger(at: 0, as: UInt8.self) == 3)
        #expect(r.getInteger(at: 1, as: UInt32.self) == 7)
        #expect(r.getSlice(at: 1 + 1536, length: 1536) == c1)
        #expect(hs.isComplete)
    }

    @Test func leftoverAfterC2StaysInTheBuffer() throws {
        var hs = RTMPServerHandshake()
        var input = ByteBuffer(bytes: [3])
        input.writeImmutableBuffer(TestBytes.pattern(3072))
        input.writeBytes([0x02, 0xAA])
        guard case .send = try hs.feed(&input) else { Issue.record("no S0S1S2"); return }
        #expect(try hs.feed(&input) == .complete)
        #expect(Array(input.readableBytesView) == [0x02, 0xAA])
    }

    @Test func wrongVersionIsRejected() {
        var hs = RTMPServerHandshake()
        var input = ByteBuffer(bytes: [6])
        input.writeImmutableBuffer(TestBytes.pattern(1536))
        #expect(throws: RTMPError.badHandshakeVersion(6)) { _ = try hs.feed(&input) }
    }
}

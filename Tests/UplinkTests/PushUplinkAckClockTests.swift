import Testing
@testable import Uplink

/// RTMP Acknowledgements timed against when each byte was written: the end-to-end delay a TCP
/// push sees through a relay that terminates TCP.
@Suite struct PushUplinkAckClockTests {
    @Test func delayIsFromTheWriteOfTheAcknowledgedByte() {
        var c = AckClock(window: 1000)
        #expect(c.delayMs(at: 0) == nil)
        c.wrote(total: 3073, at: 0.0) // handshake and commands, counted as the server counts them
        c.wrote(total: 5000, at: 1.0)
        c.wrote(total: 8000, at: 1.1)
        c.acknowledged(sequence: 5000, at: 1.12)
        #expect(c.acked == 5000)
        #expect(abs((c.delayMs(at: 1.12) ?? 0) - 120) < 1e-6)
        // The next acknowledgement (>= 6000, written at 1.1) is overdue at 1.5: at least 400 ms.
        #expect(abs((c.delayMs(at: 1.5) ?? 0) - 400) < 1e-6)
        c.acknowledged(sequence: 8000, at: 1.6)
        #expect(abs((c.delayMs(at: 1.6) ?? 0) - 500) < 1e-6)
        // 3000 bytes acknowledged over 0.48 s.
        #expect(abs((c.deliveryKbps(span: 0.4) ?? 0) - 3000 * 8 / 1000 / 0.48) < 1e-6)
    }

    @Test func sequenceNumbersWrapAt32Bits() {
        var c = AckClock(window: 1000)
        let big = Int(UInt32.max) + 10_000
        c.wrote(total: big - 5000, at: 0)
        c.wrote(total: big, at: 1)
        c.acknowledged(sequence: UInt32(truncatingIfNeeded: big - 2000), at: 1.2)
        #expect(c.acked == big - 2000)
        #expect(abs((c.delayMs(at: 1.2) ?? 0) - 200) < 1e-6)
        // Backwards or from the future: ignored.
        c.acknowledged(sequence: UInt32(truncatingIfNeeded: big - 4000), at: 1.3)
        c.acknowledged(sequence: UInt32(truncatingIfNeeded: big + 100), at: 1.3)
        #expect(c.acked == big - 2000)
    }
}

import Testing
import WebRTC

@Suite struct RTPReceiveStatisticsTests {
    static let ms: UInt64 = 1_000_000

    @Test func lossHolesAndReportAcrossTheWrap() {
        var stats = RTPReceiveStatistics(ssrc: 77, clockRate: 90000)
        // 65530 … 5 with 65534 and 2 lost; packets evenly spaced in both clocks (no jitter).
        var seq: UInt16 = 65530
        var i: UInt64 = 0
        while seq != 6 {
            if seq != 65534 && seq != 2 {
                stats.record(sequence: seq, rtpTimestamp: UInt32(i * 3000), arrivalNanos: 1_000_000 * Self.ms + i * 33_333_333)
            }
            seq &+= 1; i += 1
        }
        #expect(stats.missing == [65534, 2])
        let block = stats.reportBlock(nowNanos: 0)
        #expect(block.ssrc == 77)
        #expect(block.highestSequence == 1 << 16 | 5)
        #expect(block.cumulativeLost == 2)
        #expect(block.fractionLost == UInt8(2 * 256 / 12))
        #expect(block.jitter <= 1)   // only rounding of the 33.3 ms arrival step
        // A retransmission fills a hole; what is still missing is NACKed once.
        stats.record(sequence: 65534, rtpTimestamp: 4 * 3000, arrivalNanos: 1_000_000 * Self.ms + 20 * 33_333_333)
        #expect(stats.takeMissing() == [2])
        #expect(stats.takeMissing() == [])
        // The next interval lost nothing.
        stats.record(sequence: 6, rtpTimestamp: 12 * 3000, arrivalNanos: 1_000_000 * Self.ms + 21 * 33_333_333)
        #expect(stats.reportBlock(nowNanos: 0).fractionLost == 0)
    }

    @Test func jitterFollowsArrivalVariation() {
        var stats = RTPReceiveStatistics(ssrc: 1, clockRate: 90000)
        // Every other packet 10 ms late: |D| = 900 RTP units each step; J converges towards 900.
        for k in 0..<400 {
            let late: UInt64 = k % 2 == 0 ? 0 : 10 * Self.ms
            stats.record(sequence: UInt16(k), rtpTimestamp: UInt32(k * 3000), arrivalNanos: UInt64(k) * 33_333_333 + late)
        }
        #expect(stats.jitter > 850 && stats.jitter <= 900)
    }

    @Test func senderReportEcho() {
        var stats = RTPReceiveStatistics(ssrc: 1, clockRate: 48000)
        stats.record(sequence: 1, rtpTimestamp: 0, arrivalNanos: 0)
        let ntp = RTCP.ntpTimestamp(unixSeconds: 1_764_547_200.25)
        stats.recordSenderReport(ntpTimestamp: ntp, arrivalNanos: 5_000 * Self.ms)
        let block = stats.reportBlock(nowNanos: 5_500 * Self.ms)
        #expect(block.lastSR == UInt32(truncatingIfNeeded: ntp >> 16))
        #expect(block.delaySinceLastSR == 32768)   // 0.5 s in 1/65536 s
        // The sender computes the RTT from the echo: here 0.5 s of DLSR and 0.1 s on the wire.
        let rtt = RTCP.roundTripSeconds(block, nowNTP: RTCP.ntpTimestamp(unixSeconds: 1_764_547_200.25 + 0.6))
        #expect(rtt.map { abs($0 - 0.1) < 0.001 } == true)
        // A receiver report built from it parses back.
        let rr = RTCP.receiverReport(ssrc: 9, reports: [block])
        #expect((try? RTCP.parseCompound(rr)) == [.receiverReport([block])])
    }

    @Test func missingIsBounded() {
        var stats = RTPReceiveStatistics(ssrc: 1, clockRate: 90000, maxMissing: 10)
        stats.record(sequence: 0, rtpTimestamp: 0, arrivalNanos: 0)
        stats.record(sequence: 500, rtpTimestamp: 0, arrivalNanos: 0)
        #expect(stats.missing == Array(490...499))
        stats.record(sequence: 30000, rtpTimestamp: 0, arrivalNanos: 0)   // a jump, not a loss burst
        #expect(stats.missing.count == 10)
    }
}

import BitrateControl
import Bitstream
import CFFmpeg
import FFmpegBridge
import Foundation
import LatencyProbe
import StreamHub
import Testing
@testable import Uplink

/// The encoder thread applies the controller's steps between frames: half the frame rate, then
/// half the size (a new IDR with new parameter sets), every unit stamped.
@Suite struct UplinkEncoderTests {
    @Test func stepsDownToHalfTheFramesThenHalfTheSize() async throws {
        let pictures = HandOffQueue(policy: DropNewestPolicy<RawPicture>(capacity: 64))
        let units = HandOffQueue(policy: SendBudgetPolicy(budgetMicros: 60_000_000))
        let control = UplinkControl(start: RateDecision(bitrateKbps: 300))
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do {
                try UplinkEncoder(fps: 30).run(pictures: pictures, output: units, control: control)
            } catch {
                control.fail(error)
            }
            units.close()
            done.signal()
        }
        thread.start()
        var index = 0
        func feed(_ count: Int) throws {
            for _ in 0..<count {
                let frame = try TestPattern.frame(width: 320, height: 240, index: index)
                pictures.push(RawPicture(frame: frame, pts: Int64(index) * 33_333, stampMicros: 1_000_000 + Int64(index)))
                index += 1
            }
        }
        func drain(_ expected: Int) async -> [UplinkUnit] {
            var out: [UplinkUnit] = []
            let deadline = Date().addingTimeInterval(20)
            while out.count < expected, Date() < deadline {
                if let u = units.pop(timeout: .milliseconds(100)) { out.append(u) }
            }
            return out
        }
        try feed(6)
        let full = await drain(6)
        control.set(RateDecision(bitrateKbps: 200, step: .halfFrameRate))
        try feed(6)
        let half = await drain(3)
        control.set(RateDecision(bitrateKbps: 150, step: .reducedResolution))
        try feed(6)
        let small = await drain(3)
        pictures.close()
        done.wait()
        #expect(control.error == nil, "\(String(describing: control.error))")

        #expect(full.count == 6 && full.allSatisfy { $0.width == 320 && $0.height == 240 })
        #expect(full.first?.isKeyframe == true)
        #expect(half.count == 3 && half.allSatisfy { $0.width == 320 }, "every other frame at half rate")
        #expect(small.count == 3 && small.allSatisfy { $0.width == 160 && $0.height == 120 })
        let idr = try #require(small.first)
        #expect(idr.isKeyframe)
        let types = NALUnits.splitAnnexB(idr.data).compactMap { NALUnits.h264Type($0) }
        #expect(types.contains(7) && types.contains(8), "new SPS/PPS in band: \(types)")
        let sps = try #require(NALUnits.splitAnnexB(idr.data).first { NALUnits.h264Type($0) == 7 })
        let parsed = try H264SPS(nal: Array(sps))
        #expect(parsed.width == 160 && parsed.height == 120)
        // Every unit starts with its latency stamp, the picture's own clock.
        for unit in full + half + small {
            let stamp = StampScanner.stamps(in: unit.data).first
            #expect(stamp.map { $0 >= 1_000_000 && $0 < 1_000_018 } == true)
        }
        #expect(zip(full + half + small, (full + half + small).dropFirst()).allSatisfy { $0.dts < $1.dts })
    }
}

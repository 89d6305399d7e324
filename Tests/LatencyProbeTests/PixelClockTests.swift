import FFmpegBridge
import MediaCore
import Testing
@testable import LatencyProbe
@testable import Transcode

/// The pixel clock `sluice push` draws must come back exactly from every rung a viewer may be
/// shown: drawn into a 1080p test pattern, encoded as the pusher does, decoded, scaled down the
/// cascade and encoded with the server's own scaler and x264 settings, decoded again.
@Suite struct PixelClockTests {
    @Test func bitsRoundTrip() {
        for v: UInt64 in [0, 1, 1_764_000_000_123, 0xFFFF_FFFF_FFFF] {
            #expect(PixelClock.value(bits: PixelClock.bits(millis: v)) == v)
        }
    }

    @Test func aFlippedCellOrAMissingStartIsRefused() {
        var bits = PixelClock.bits(millis: 1_764_000_000_123)
        for i in [0, 20, 63, 79] {
            var flipped = bits
            flipped[i].toggle()
            #expect(PixelClock.value(bits: flipped) == nil, "cell \(i)")
        }
        bits = [Bool](repeating: false, count: bits.count)
        #expect(PixelClock.value(bits: bits) == nil)
        // A flat picture (no code drawn) has no contrast between the start cells.
        #expect(PixelClock.value(means: [Double](repeating: 120, count: 80)) == nil)
    }

    @Test func crcIsCCITTFalse() {
        // Python's binascii.crc_hqx(data, 0xFFFF) is CRC-16/CCITT-FALSE (0x29B1 for "123456789").
        #expect(PixelClock.crc16(0x3132_3334_3536) == 0x2EF4) // "123456"
        #expect(PixelClock.crc16(1_764_000_000_123) == 0x5692)
    }

    @Test func survivesPushEncodeLadderScalingAndEncodeOnEveryRung() throws {
        let (width, height, fps) = (1920, 1080, 30)
        let base: UInt64 = 1_764_000_000_000
        let values = (0..<12).map { base + UInt64($0) * 33 + UInt64($0 * $0) * 7919 }

        // The pusher: StampingPublisher's x264 settings at 1080p.
        var push = VideoEncoderSettings(width: width, height: height, timebase: Rational(1, Int32(fps)),
                                        frameRate: Rational(Int32(fps), 1), bitrate: 4_000_000, maxBitrate: 4_000_000,
                                        bufferSize: 4_000_000, gopSize: fps,
                                        options: ["preset": "veryfast", "tune": "zerolatency", "x264-params": "scenecut=0"])
        push.globalHeader = false
        let pushEncoder = try Encoder(video: push)
        var packets: [Packet] = []
        for (i, v) in values.enumerated() {
            let frame = try TestPattern.frame(width: width, height: height, index: i)
            #expect(PixelClock.draw(millis: v, into: frame))
            #expect(PixelClock.read(frame) == v, "drawn frame \(i)")
            frame.pts = Int64(i)
            packets += try pushEncoder.encode(frame)
        }
        packets += try pushEncoder.encode(nil)
        let sourceDecoder = try Decoder(codecName: "h264")
        var sources: [Frame] = []
        for p in packets { sources += try sourceDecoder.decode(p) }
        sources += try sourceDecoder.decode(nil)
        #expect(sources.map { PixelClock.read($0) } == values.map { Optional($0) }, "the pushed 1080p")

        // The server's ladder: default rungs, bicubic cascade, the rungs' x264 settings.
        let config = TranscodeConfiguration()
        let rungs = config.ladder.resolve(sourceWidth: width, sourceHeight: height)
        #expect(rungs.map(\.height) == [720, 480, 360])
        var encoders: [Encoder] = []
        for rung in rungs {
            var s = X264RungSettings.make(config: config, width: rung.width, height: rung.height, timebase: Rational(1, Int32(fps)),
                                          frameRate: Rational(Int32(fps), 1), fps: Double(fps), bitrate: rung.spec.bitrate, threads: 1)
            s.globalHeader = false
            encoders.append(try Encoder(video: s))
        }
        var rungPackets = [[Packet]](repeating: [], count: rungs.count)
        for (i, source) in sources.enumerated() {
            var pictures = [source]
            for (r, rung) in rungs.enumerated() {
                // DecodePipeline.cascadeParent: the smallest picture ≥ cascadeMinRatio × the rung.
                let parent = pictures.last { Double($0.height) >= Double(rung.height) * config.cascadeMinRatio - 0.5 } ?? pictures[0]
                let scaler = try Scaler(inputWidth: parent.width, inputHeight: parent.height, inputFormat: parent.pixelFormat,
                                        outputWidth: rung.width, outputHeight: rung.height, quality: config.scaleQuality)
                let picture = try scaler.scale(parent)
                picture.pts = Int64(i)
                pictures.append(picture)
                rungPackets[r] += try encoders[r].encode(picture)
            }
        }
        for (r, rung) in rungs.enumerated() {
            rungPackets[r] += try encoders[r].encode(nil)
            let decoder = try Decoder(codecName: "h264")
            var frames: [Frame] = []
            for p in rungPackets[r] { frames += try decoder.decode(p) }
            frames += try decoder.decode(nil)
            #expect(frames.first?.width == rung.width && frames.first?.height == rung.height)
            #expect(frames.map { PixelClock.read($0) } == values.map { Optional($0) }, "rung \(rung.spec.name)")
        }
    }
}

import Bitstream
import Foundation
import Logging
import MediaCore
import StreamHub
import Testing
@testable import Ingest

@Suite(.serialized) struct SRTIngestTests {
    static let logger = Logger(label: "test.srt")

    static func server(passphrase: String? = nil, for securedPath: String = "live/secret") throws -> (SRTIngestServer, StreamHub) {
        let hub = StreamHub()
        var config = SRTIngestServer.Configuration(host: "127.0.0.1", port: 0, latencyMs: 80)
        if let passphrase {
            config.passphrase = { $0 == securedPath ? passphrase : nil }
        }
        return (try SRTIngestServer(configuration: config, hub: hub, logger: logger), hub)
    }

    /// Collects the stream's events until `count` units arrived (or the bound passes).
    static func collect(_ queue: ReaderQueue, units count: Int, within seconds: Double) async -> (tracks: [TrackInfo], units: [MediaUnit]) {
        var tracks: [TrackInfo] = []
        var units: [MediaUnit] = []
        let deadline = Date().addingTimeInterval(seconds)
        while units.count < count, Date() < deadline {
            switch queue.next(timeout: .milliseconds(100)) {
            case .tracks(let t): tracks = t
            case .unit(let u): units.append(u)
            case .discontinuity, .metadata, nil: continue
            }
        }
        return (tracks, units)
    }

    @Test func ffmpegPushesH264AndAACOverSRT() async throws {
        let (server, hub) = try Self.server()
        defer { server.close() }
        #expect(server.port > 0)
        let push = try ffmpegSRTPush(port: server.port, streamID: "#!::r=live/srt,m=publish")
        defer { push.kill() }
        #expect(await eventually(within: 10) { hub.stream("live/srt") != nil })
        let queue = try #require(hub.stream("live/srt")?.subscribe(capacity: 4096))
        let (tracks, units) = await Self.collect(queue, units: 150, within: 15)

        #expect(tracks.map(\.codec) == [.h264, .aac])
        #expect(tracks.first?.width == 320 && tracks.first?.height == 240)
        #expect(tracks.last?.sampleRate == 48000)
        let video = units.filter { $0.track == .video }
        let audio = units.filter { $0.track == .audio }
        #expect(video.count > 25 && audio.count > 25)
        #expect(video.first?.isKeyframe == true) // a reader starts on a keyframe
        #expect(zip(video, video.dropFirst()).allSatisfy { $0.dts < $1.dts })
        #expect(zip(audio, audio.dropFirst()).allSatisfy { $0.pts < $1.pts })
        // Every video unit is length-prefixed NALs that exactly fill the payload.
        #expect(video.allSatisfy { u in
            guard let nals = NALUnitsProbe.split(u) else { return false }
            return !nals.isEmpty
        })
        #expect(units.allSatisfy { $0.ingestWallClock > 0 })
    }

    @Test func wrongPassphraseIsRefusedAndOtherStreamsKeepFlowing() async throws {
        let (server, hub) = try Self.server(passphrase: "correcthorsebattery")
        defer { server.close() }
        let open = try ffmpegSRTPush(port: server.port, streamID: "live/open")
        defer { open.kill() }
        #expect(await eventually(within: 10) { hub.stream("live/open") != nil })

        let wrong = try ffmpegSRTPush(port: server.port, streamID: "live/secret", passphrase: "wrongpassphrase", seconds: 5)
        let result = await wrong.finish(within: 15)
        #expect(result.status != 0, "a wrong passphrase must not connect")
        #expect(hub.stream("live/secret") == nil)

        let right = try ffmpegSRTPush(port: server.port, streamID: "live/secret", passphrase: "correcthorsebattery")
        defer { right.kill() }
        #expect(await eventually(within: 10) { hub.stream("live/secret") != nil })
        // The open stream was never disturbed.
        let queue = try #require(hub.stream("live/open")?.subscribe())
        let (_, units) = await Self.collect(queue, units: 20, within: 10)
        #expect(units.count == 20)
    }

    @Test func publisherDisconnectEndsTheStreamAndARepublishTakesThePath() async throws {
        let (server, hub) = try Self.server()
        defer { server.close() }
        let first = try ffmpegSRTPush(port: server.port, streamID: "live/again")
        #expect(await eventually(within: 10) { hub.stream("live/again")?.unitsIn ?? 0 > 10 })
        first.kill()
        #expect(await eventually(within: 10) { hub.stream("live/again") == nil })
        let second = try ffmpegSRTPush(port: server.port, streamID: "live/again")
        defer { second.kill() }
        #expect(await eventually(within: 10) { hub.stream("live/again")?.unitsIn ?? 0 > 10 })
    }
}

enum NALUnitsProbe {
    static func split(_ unit: MediaUnit) -> [ArraySlice<UInt8>]? {
        var bytes: [UInt8] = []
        bytes.append(contentsOf: unit.data.readableBytesView)
        return NALUnits.splitLengthPrefixed(bytes)
    }
}

import Ingest
import MediaCore
import NIOCore
import RTMP
import StreamHub
import Testing

/// A player that stops reading a stream with no lower rendition: its queued media is dropped
/// to the next keyframe (3 s budget) instead of growing, and the skip is counted.
@Suite struct PlayerSkipTests {
    typealias S = IngestTestSupport

    @Test func aStalledPlayerWithoutRenditionsSkipsToAKeyframe() async throws {
        let hub = StreamHub()
        try await S.withServer(hub: hub) { server, port in
            let publisher = try hub.publish(StreamPath(validating: "live/skip"))
            publisher.setTracks([TrackInfo(codec: .h264, timebase: .milliseconds, extradata: RTMPHardeningTests.avcC,
                                           width: 640, height: 360)])
            let player = try await RawRTMPClient.connect(port: port, receiveBuffer: 8192)
            _ = try await player.play(name: "skip")
            try await player.stopReading()
            // Ten seconds of 25 fps video, 20 kB a frame, a keyframe every 2 s: far more than the
            // socket takes, so it waits in the player's queue.
            for i in 0..<250 {
                publisher.write(MediaUnit(track: .video, pts: Int64(i * 40), dts: Int64(i * 40), timebase: .milliseconds,
                                          isKeyframe: i % 50 == 0, data: ByteBuffer(repeating: 0x41, count: 20_000),
                                          ingestWallClock: 0))
            }
            #expect(await S.eventually { server.statistics.snapshot.playerKeyframeSkips >= 1 })
            let status = try #require(hub.stream("live/skip")?.players.first)
            #expect(status.keyframeSkips >= 1)
            #expect(status.movesDown == 0, "there is nothing lower to move to")
            #expect(status.rendition == "source")
            await player.close()
            #expect(await S.eventually { server.statistics.snapshot.playerUnitsDropped > 0 }, "skipped units are counted as lost")
            #expect(await S.eventually { hub.stream("live/skip")?.players.isEmpty == true })
            #expect(hub.stream("live/skip")?.playerTotals.keyframeSkips ?? 0 >= 1, "a departed player's skips stay counted")
            publisher.end()
        }
    }
}

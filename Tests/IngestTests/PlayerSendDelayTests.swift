import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import RTMP
import Server
import Testing
import TestSupport
import Transcode

/// A real RTMP player on a link slower than the source: the server moves it to a lower
/// rendition of the stream instead of queueing seconds for it, and the status API says so.
@Suite struct PlayerSendDelayTests {
    struct Status: Decodable {
        struct Stream: Decodable {
            struct Player: Decodable { var transport: String; var rendition: String; var movesDown: Int; var keyframeSkips: Int }
            struct Adaptation: Decodable { var movesDown: Int; var keyframeSkips: Int }
            var path: String
            var players: [Player]
            var playerAdaptation: Adaptation
        }
        var streams: [Stream]
    }

    static func status(port: Int, token: String) async -> Status? {
        guard let url = URL(string: "http://127.0.0.1:\(port)/api/v1/streams") else { return nil }
        var request = URLRequest(url: url)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        guard let (data, _) = try? await URLSession.shared.data(for: request) else { return nil }
        return try? JSONDecoder().decode(Status.self, from: data)
    }

    /// Index of the first AVC sequence header whose record differs from the first one (a switch).
    static func switchIndex(_ video: [(timestamp: UInt32, packet: FLVVideoPacket)]) -> Int? {
        var first: ByteBuffer?
        for (i, v) in video.enumerated() {
            guard case .sequenceStart(_, let config) = v.packet else { continue }
            if let first { if config != first { return i } } else { first = config }
        }
        return nil
    }

    @Test func aSlowRTMPPlayerIsMovedDownARendition() async throws {
        var transcode = TranscodeConfiguration()
        transcode.ladder = try Ladder(parsing: "360p:600k,240p:250k")
        let server = SluiceServer(configuration: SluiceServerConfiguration(host: "127.0.0.1", rtmpPort: 0, srtPort: 0, httpPort: 0,
                                                                           transcode: transcode),
                                  logger: IngestTestSupport.logger)
        try await server.start()
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let rtmpPort = try #require(server.rtmpPort)
        #expect(await eventually(within: 20) { server.httpPort != nil })
        let httpPort = try #require(server.httpPort)

        // ffmpeg's 640x360 test pattern at ~1.9 Mbit/s, in real time.
        let publisher = try ExternalProcess("ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "60", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "50",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", "rtmp://127.0.0.1:\(rtmpPort)/live/slow",
        ])
        defer { publisher.stop() }
        // The rungs are in the hub (the transcoder runs) before the player comes.
        #expect(await eventually(within: 20) { server.hub.renditions(of: "live/slow").count == 2 })

        // A player that reads ~50 kB/s (400 kbit/s) through an 8 KiB receive buffer.
        let player = try await RawRTMPClient.connect(port: rtmpPort, receiveBuffer: 8192, readChunk: 2048)
        _ = try await player.play(name: "slow")
        let reading = try await player.readSlowly(every: .milliseconds(40))
        defer { reading.cancel() }

        var moved: Status.Stream.Player?
        let deadline = Date().addingTimeInterval(25)
        while moved == nil, Date() < deadline {
            let stream = await Self.status(port: httpPort, token: server.apiToken)?.streams.first { $0.path == "live/slow" }
            moved = stream?.players.first { $0.movesDown > 0 }
            if moved == nil { try await Task.sleep(for: .milliseconds(250)) }
        }
        let player0 = try #require(moved, "the slow player was never moved down")
        #expect(player0.transport == "rtmp")
        #expect(["360p", "240p"].contains(player0.rendition))
        let streams = await Self.status(port: httpPort, token: server.apiToken)?.streams ?? []
        #expect(streams.map(\.path) == ["live/slow"], "renditions in the hub are not listed as streams")
        #expect((streams.first?.playerAdaptation.movesDown ?? 0) >= 1)
        #expect(server.rtmpStatistics.playerMovesDown >= 1)

        // The player reads at full speed again and gets the switch: the rung's own AVC sequence
        // header, then a keyframe, with video timestamps that never went back.
        try await player.channel.setOption(.autoRead, value: true).get()
        player.channel.read()
        var video: [(timestamp: UInt32, packet: FLVVideoPacket)] = []
        let switched = await eventually(within: 20) {
            video = ((try? player.messages()) ?? []).filter { $0.type == .video }.compactMap { m in
                (try? FLVVideoPacket.parse(m.payload)).map { (m.timestamp, $0) }
            }
            return Self.switchIndex(video) != nil
        }
        #expect(switched, "no sequence header of another rendition reached the player")
        if let at = Self.switchIndex(video) {
            let next = video[(at + 1)...].first { if case .frame = $0.packet { true } else { false } }
            if case .frame(_, let keyframe, _, _) = next?.packet { #expect(keyframe, "the switch starts at a keyframe") }
            else { Issue.record("no frame after the switch") }
        }
        let stamps = video.map(\.timestamp)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 <= $1 }, "video timestamps went back")

        // A rung can be played directly, too.
        let direct = try await RawRTMPClient.connect(port: rtmpPort)
        _ = try await direct.play(name: "slow/240p")
        await direct.close()

        await player.close()
        publisher.stop()
        try await server.shutdown()
        _ = try? await running.value
    }
}

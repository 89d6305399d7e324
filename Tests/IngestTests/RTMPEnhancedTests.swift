import Foundation
import Ingest
import MediaCore
import NIOCore
import RTMP
import Testing

/// Enhanced RTMP (HEVC) in and out: ffmpeg 5.1 cannot publish it, so the raw client builds the tags.
@Suite struct RTMPEnhancedTests {
    typealias S = IngestTestSupport

    @Test func hevcPublishedWithEnhancedRTMPIsPlayedBackTheSameWay() async throws {
        try await S.withServer { server, port in try await publishAndPlayHEVC(server: server, port: port) }
    }

    private func videoCount(_ client: RawRTMPClient) -> Int {
        do {
            return try client.messages().filter { $0.type == .video }.count
        } catch {
            Issue.record("player received undecodable chunks: \(error)")
            return -1
        }
    }

    private func publishAndPlayHEVC(server: RTMPServer, port: Int) async throws {
        // A real hvcC header with one SPS (Main, 1280x720): ingest parses it and refuses a made-up one.
        let hvcCHex = "0101600000009000000000003ff000fcfdf8f800000f01a10001001842010101600000030090000003000003003fa00280802d17"
        let hvcC = ByteBuffer(bytes: stride(from: 0, to: hvcCHex.count, by: 2).map { i in
            UInt8(hvcCHex.dropFirst(i).prefix(2), radix: 16)!
        })
        let publisher = try await RawRTMPClient.connect(port: port)
        let id = try await publisher.publish(name: "hevc")
        let meta = AMF0.encode([.string("@setDataFrame"), .string("onMetaData"),
                                .ecmaArray([AMFProperty("width", .number(1280)), AMFProperty("height", .number(720))])])
        var messages = [
            RTMPMessage(chunkStreamID: 5, type: .amf0Data, streamID: id, timestamp: 0, payload: meta),
            RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: 0,
                        payload: FLVVideoPacket.sequenceStart(.hevc, config: hvcC).serialize()),
        ]
        for i in 0..<5 {
            messages.append(RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: UInt32(i * 40),
                                        payload: FLVVideoPacket.frame(.hevc, keyframe: i == 0, compositionTime: 80,
                                                                      data: ByteBuffer(bytes: [0, 0, 0, 1, UInt8(i)])).serialize()))
        }
        try await publisher.send(messages)
        #expect(await S.eventually { server.hub.stream("live/hevc")?.unitsIn == 5 })
        let track = try #require(server.hub.stream("live/hevc")?.tracks.first)
        #expect(track.codec == .hevc && track.width == 1280 && track.height == 720 && track.extradata == hvcC)

        let player = try await RawRTMPClient.connect(port: port)
        _ = try await player.play(name: "hevc")
        let gotAll = await S.eventually { videoCount(player) >= 6 || videoCount(player) < 0 }
        #expect(gotAll)
        let received = try player.messages()
        let video = try received.filter { $0.type == .video }.map { try FLVVideoPacket.parse($0.payload) }
        #expect(video.first == .sequenceStart(.hevc, config: hvcC))
        #expect(video.dropFirst().first == .frame(.hevc, keyframe: true, compositionTime: 80, data: ByteBuffer(bytes: [0, 0, 0, 1, 0])))
        // onMetaData precedes the first video message.
        let types = received.map { m -> String in
            if m.type == .video { return "video" }
            if m.type == .amf0Data, m.payload.getString(at: m.payload.readerIndex + 3, length: 10) == "onMetaData" { return "meta" }
            return "other"
        }
        let firstMeta = types.firstIndex(of: "meta") ?? Int.max
        let firstVideo = types.firstIndex(of: "video") ?? -1
        #expect(firstMeta < firstVideo)
        await player.close()
        await publisher.close()
    }
}

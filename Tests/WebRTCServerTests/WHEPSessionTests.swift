import Foundation
import Logging
import MediaCore
import NIOCore
import NIOPosix
import StreamHub
import Synchronization
import Testing
import TestSupport
import WebRTC
@testable import WebRTCServer

/// A WHEP viewer against real sockets (the test peer does ICE, DTLS and SRTP as a browser
/// would): it starts at the top rung's next keyframe after asking for one, and two lossy
/// receiver reports move it to the lower rung at that rung's next keyframe.
@Suite struct WHEPSessionTests {
    static let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x02, 0x80, 0xBF, 0xE5, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04]
    static let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]

    static func track(bitrate: Int) -> TrackInfo {
        let avcC = [1, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0, UInt8(sps.count)] + sps + [1, 0, UInt8(pps.count)] + pps
        return TrackInfo(codec: .h264, timebase: Rational(1, 90_000), extradata: ByteBuffer(bytes: avcC), width: 640, height: 360,
                         bitrate: bitrate)
    }

    /// One access unit whose slice carries `marker` (so the test tells the rungs apart).
    static func unit(_ i: Int, keyframe: Bool, marker: UInt8) -> MediaUnit {
        let nal: [UInt8] = [keyframe ? 0x65 : 0x41, 0x88, marker, marker, marker]
        return MediaUnit(track: .video, pts: Int64(i) * 3000, dts: Int64(i) * 3000, timebase: Rational(1, 90_000), isKeyframe: keyframe,
                         data: ByteBuffer(bytes: [0, 0, 0, UInt8(nal.count)] + nal), ingestWallClock: WallClock.nowMicros())
    }

    static func attribute(_ name: String, in sdp: String) -> String? {
        sdp.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=\(name):") }.map { String($0.dropFirst(name.count + 3)) }
    }

    @Test func viewerStartsOnAKeyframeAndMovesDownOnLoss() async throws {
        let hub = StreamHub()
        let source = try hub.publish(StreamPath(validating: "live/s"))
        source.setTracks([Self.track(bitrate: 2_000_000)])
        let high = hub.publish(path: "live/s/720p"), low = hub.publish(path: "live/s/360p")
        high.setTracks([Self.track(bitrate: 2_000_000)])
        low.setTracks([Self.track(bitrate: 500_000)])
        defer { high.end(); low.end(); source.end() }
        let keyframeRequests = Mutex(0)
        let group = MultiThreadedEventLoopGroup.singleton
        let sessions = MediaSessions(settings: MediaSessionSettings(host: "127.0.0.1", port: 0, maxSessions: 4), hub: hub, group: group,
                                     logger: Logger(label: "test"), requestKeyframe: { _ in keyframeRequests.withLock { $0 += 1 } })
        let peer = try await UDPTestPeer(group: group)
        defer { Task { await peer.close(); await sessions.shutdown() } }

        let (_, answer) = try await sessions.play(path: "live/s", rendition: nil, offer: peer.offer, requestHost: "127.0.0.1:1")
        let port = try #require(await sessions.udpPort)
        let ufrag = try #require(Self.attribute("ice-ufrag", in: answer)), pwd = try #require(Self.attribute("ice-pwd", in: answer))
        let fingerprint = try #require(Self.attribute("fingerprint", in: answer).flatMap(DTLSFingerprint.init(sdpValue:)))
        let ssrc = try #require(Self.attribute("ssrc", in: answer).flatMap { UInt32($0.split(separator: " ")[0]) })

        // ICE (a Binding with the answer's credentials), then DTLS as the browser does.
        #expect(try await peer.check(STUN.bindingRequest(transactionID: (0..<12).map { _ in UInt8.random(in: 0...255) }, username: "\(ufrag):\(peer.ufrag)",
                                                         password: pwd, priority: 0x6E00_1EFF, iceControlling: 1, useCandidate: true), to: port) != nil)
        let dtls = try DTLSEndpoint(certificate: peer.certificate, role: .client, remoteFingerprint: fingerprint.bytes)
        dtls.start()
        let deadline = Date().addingTimeInterval(10)
        while dtls.state == .handshaking, Date() < deadline {
            for d in dtls.takeDatagrams() { try peer.send(d, to: port) }
            if let d = await peer.next(within: 0.3, where: { classifyDatagram($0) == .dtls }) { dtls.receive(d) }
            else if let due = dtls.nextTimeout, due <= .zero { dtls.handleTimeout() }
        }
        for d in dtls.takeDatagrams() { try peer.send(d, to: port) }
        let srtp = try SRTPSession(keys: try #require(dtls.srtpKeys(), "DTLS: \(dtls.state)"))

        /// The next media packet (RTCP from the server is skipped), and its payload.
        func nextPacket() async -> (header: RTPHeader, payload: [UInt8])? {
            guard let d = await peer.next(within: 5, where: { classifyDatagram($0) == .rtp }),
                  let rtp = try? srtp.unprotectRTP(d), let (payload, _) = RTPPayload.payload(rtp), RTPPayload.ssrc(rtp) == ssrc,
                  let (header, _) = try? RTPHeader.parse(rtp) else { return nil }
            return (header, payload)
        }
        func nextPayload() async -> [UInt8]? { await nextPacket()?.payload }

        // Connected: the viewer asked for a keyframe and waits for one (a delta frame is not sent).
        #expect(await eventually(within: 5) { keyframeRequests.withLock { $0 } >= 1 })
        high.write(Self.unit(0, keyframe: false, marker: 0xAA))
        high.write(Self.unit(1, keyframe: true, marker: 0xAA))
        let (firstHeader, first) = try #require(await nextPacket())
        #expect(first.first.map { $0 & 0x1F } == 24, "SPS and PPS first, as STAP-A: \(first)") // STAP-A
        // The offer mapped playout-delay as 5: the frame's first packet says "render at once" (min = max = 0).
        #expect(firstHeader.extensions == [RTPHeaderExtension(id: 5, data: [0, 0, 0])])
        let (idrHeader, idr) = try #require(await nextPacket())
        #expect(idr.suffix(3) == [0xAA, 0xAA, 0xAA] && idr.first.map { $0 & 0x1F } == 5)
        #expect(idrHeader.extensions.isEmpty && idrHeader.marker)

        // Two reports with 20 % loss: the viewer reads the 360p rung from its next keyframe.
        for _ in 0..<2 {
            let block = RTCPReportBlock(ssrc: ssrc, fractionLost: 51, cumulativeLost: 10, highestSequence: 100, jitter: 0, lastSR: 0,
                                        delaySinceLastSR: 0)
            try peer.send(try srtp.protectRTCP(RTCP.receiverReport(ssrc: 0x5555, reports: [block])), to: port)
        }
        // (It asks for a keyframe too; MediaSessions rate-limits those per stream, tested by the count above.)
        #expect(await eventually(within: 5) { low.stream.readerCount == 1 })
        low.write(Self.unit(2, keyframe: false, marker: 0xBB)) // before its keyframe: not sent
        high.write(Self.unit(2, keyframe: false, marker: 0xAA)) // still the rung read
        #expect(await nextPayload()?.suffix(3) == [0xAA, 0xAA, 0xAA])
        low.write(Self.unit(3, keyframe: true, marker: 0xBB))
        #expect(await nextPayload()?.first.map { $0 & 0x1F } == 24) // the 360p rung's SPS/PPS
        #expect(await nextPayload()?.suffix(3) == [0xBB, 0xBB, 0xBB])
        #expect(await eventually(within: 5) { high.stream.readerCount == 0 })
        high.write(Self.unit(4, keyframe: false, marker: 0xAA)) // the 720p rung is no longer read
        low.write(Self.unit(4, keyframe: false, marker: 0xBB))
        #expect(await nextPayload()?.suffix(3) == [0xBB, 0xBB, 0xBB])
        #expect(sessions.count == 1)
    }
}

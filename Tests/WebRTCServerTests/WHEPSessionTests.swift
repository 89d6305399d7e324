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
/// would): it starts at the top rung's next keyframe after asking for one; two lossy receiver
/// reports, or a bandwidth estimate (REMB) below its rung, move it to the lower rung at that
/// rung's next keyframe; a packet the transport refuses drops it to the next keyframe.
@Suite struct WHEPSessionTests {
    static let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x02, 0x80, 0xBF, 0xE5, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04]
    static let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]

    static func track(bitrate: Int) -> TrackInfo {
        let avcC = [1, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0, UInt8(sps.count)] + sps + [1, 0, UInt8(pps.count)] + pps
        return TrackInfo(codec: .h264, timebase: Rational(1, 90_000), extradata: ByteBuffer(bytes: avcC), width: 640, height: 360,
                         bitrate: bitrate)
    }

    /// One access unit whose slice carries `marker` (so the test tells the rungs apart).
    static func unit(_ i: Int, keyframe: Bool, marker: UInt8, size: Int = 5) -> MediaUnit {
        let nal: [UInt8] = [keyframe ? 0x65 : 0x41, 0x88] + [UInt8](repeating: marker, count: max(3, size - 2))
        let length = UInt32(nal.count)
        let prefix: [UInt8] = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        return MediaUnit(track: .video, pts: Int64(i) * 3000, dts: Int64(i) * 3000, timebase: Rational(1, 90_000), isKeyframe: keyframe,
                         data: ByteBuffer(bytes: prefix + nal), ingestWallClock: WallClock.nowMicros())
    }

    static func attribute(_ name: String, in sdp: String) -> String? {
        sdp.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=\(name):") }.map { String($0.dropFirst(name.count + 3)) }
    }

    /// A connected viewer of `live/s` (no rendition named: it moves along the ladder).
    struct Viewer {
        let sessions: MediaSessions
        let peer: UDPTestPeer
        let srtp: SRTPSession
        let port: Int
        let ssrc: UInt32
        let requests: Counter
        var keyframeRequests: Int { requests.value.withLock { $0 } }

        /// The next media packet's payload (RTCP from the server is skipped).
        func nextPayload(within seconds: Double = 5) async -> [UInt8]? {
            await nextPacket(within: seconds)?.payload
        }

        /// The next media packet (unprotected) and its payload.
        func nextPacket(within seconds: Double = 5) async -> (packet: [UInt8], payload: [UInt8])? {
            guard let d = await peer.next(within: seconds, where: { classifyDatagram($0) == .rtp }),
                  let rtp = try? srtp.unprotectRTP(d), let (payload, _) = RTPPayload.payload(rtp), RTPPayload.ssrc(rtp) == ssrc else { return nil }
            return (rtp, payload)
        }

        func sendRTCP(_ packet: [UInt8]) throws {
            try peer.send(try srtp.protectRTCP(packet), to: port)
        }

        func close() async {
            await peer.close()
            await sessions.shutdown()
        }
    }

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    /// ICE (a Binding with the answer's credentials), then DTLS as the browser does.
    static func connect(_ hub: StreamHub, settings: MediaSessionSettings = MediaSessionSettings(host: "127.0.0.1", port: 0, maxSessions: 4),
                        offer edit: (String) -> String = { $0 }) async throws -> Viewer
    {
        let counter = Counter()
        let group = MultiThreadedEventLoopGroup.singleton
        let sessions = MediaSessions(settings: settings, hub: hub, group: group, logger: Logger(label: "test"),
                                     requestKeyframe: { _ in counter.value.withLock { $0 += 1 } })
        let peer = try await UDPTestPeer(group: group)
        let (_, answer) = try await sessions.play(path: "live/s", rendition: nil, offer: edit(peer.offer), requestHost: "127.0.0.1:1")
        let port = try #require(await sessions.udpPort)
        let ufrag = try #require(Self.attribute("ice-ufrag", in: answer)), pwd = try #require(Self.attribute("ice-pwd", in: answer))
        let fingerprint = try #require(Self.attribute("fingerprint", in: answer).flatMap(DTLSFingerprint.init(sdpValue:)))
        let ssrc = try #require(Self.attribute("ssrc", in: answer).flatMap { UInt32($0.split(separator: " ")[0]) })
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
        return Viewer(sessions: sessions, peer: peer, srtp: srtp, port: port, ssrc: ssrc, requests: counter)
    }

    /// `live/s` with a 720p (2 Mbit/s) and a 360p (500 kbit/s) rung.
    static func ladder(_ hub: StreamHub) throws -> (source: Publisher, high: Publisher, low: Publisher) {
        let source = try hub.publish(StreamPath(validating: "live/s"))
        source.setTracks([Self.track(bitrate: 2_000_000)])
        let high = hub.publish(path: "live/s/720p"), low = hub.publish(path: "live/s/360p")
        high.setTracks([Self.track(bitrate: 2_000_000)])
        low.setTracks([Self.track(bitrate: 500_000)])
        return (source, high, low)
    }

    @Test func viewerStartsOnAKeyframeAndMovesDownOnLoss() async throws {
        let hub = StreamHub()
        let (source, high, low) = try Self.ladder(hub)
        defer { high.end(); low.end(); source.end() }
        let v = try await Self.connect(hub)
        defer { Task { [sessions = v.sessions, peer = v.peer] in await peer.close(); await sessions.shutdown() } }

        // Connected: the viewer asked for a keyframe and waits for one (a delta frame is not sent).
        #expect(await eventually(within: 5) { v.keyframeRequests >= 1 })
        high.write(Self.unit(0, keyframe: false, marker: 0xAA))
        high.write(Self.unit(1, keyframe: true, marker: 0xAA))
        let (firstPacket, first) = try #require(await v.nextPacket())
        #expect(first.first.map { $0 & 0x1F } == 24, "SPS and PPS first, as STAP-A: \(first)") // STAP-A
        // The offer mapped playout-delay as 5: the frame's first packet says "render at once" (min = max = 0).
        let firstHeader = try RTPHeader.parse(firstPacket).0
        #expect(firstHeader.extensions == [RTPHeaderExtension(id: 5, data: [0, 0, 0])])
        let (idrPacket, idr) = try #require(await v.nextPacket())
        let idrHeader = try RTPHeader.parse(idrPacket).0
        #expect(idr.suffix(3) == [0xAA, 0xAA, 0xAA] && idr.first.map { $0 & 0x1F } == 5)
        #expect(idrHeader.extensions.isEmpty && idrHeader.marker)

        // Two reports with 20 % loss: the viewer reads the 360p rung from its next keyframe.
        for _ in 0..<2 {
            let block = RTCPReportBlock(ssrc: v.ssrc, fractionLost: 51, cumulativeLost: 10, highestSequence: 100, jitter: 0, lastSR: 0,
                                        delaySinceLastSR: 0)
            try v.sendRTCP(RTCP.receiverReport(ssrc: 0x5555, reports: [block]))
        }
        // (It asks for a keyframe too; MediaSessions rate-limits those per stream, tested by the count above.)
        #expect(await eventually(within: 5) { low.stream.readerCount == 1 })
        low.write(Self.unit(2, keyframe: false, marker: 0xBB)) // before its keyframe: not sent
        high.write(Self.unit(2, keyframe: false, marker: 0xAA)) // still the rung read
        #expect(await v.nextPayload()?.suffix(3) == [0xAA, 0xAA, 0xAA])
        low.write(Self.unit(3, keyframe: true, marker: 0xBB))
        #expect(await v.nextPayload()?.first.map { $0 & 0x1F } == 24) // the 360p rung's SPS/PPS
        #expect(await v.nextPayload()?.suffix(3) == [0xBB, 0xBB, 0xBB])
        #expect(await eventually(within: 5) { high.stream.readerCount == 0 })
        high.write(Self.unit(4, keyframe: false, marker: 0xAA)) // the 720p rung is no longer read
        low.write(Self.unit(4, keyframe: false, marker: 0xBB))
        #expect(await v.nextPayload()?.suffix(3) == [0xBB, 0xBB, 0xBB])
        #expect(v.sessions.count == 1)
    }

    /// The viewer's path narrows: its REMB says 600 kbit/s, under half what the 720p rung needs.
    /// It moves to the 360p rung (the highest that fits) at that rung's next keyframe, and the
    /// status API's players (the stream's `players`) show the rung, the move and the estimate.
    @Test func aNarrowingPathMovesTheViewerDownOnItsEstimate() async throws {
        let hub = StreamHub()
        let (source, high, low) = try Self.ladder(hub)
        defer { high.end(); low.end(); source.end() }
        // The offer asks for REMB and maps abs-send-time, as Chromium's does.
        let v = try await Self.connect(hub) { offer in
            offer.replacingOccurrences(of: "a=rtcp-rsize\r\n",
                                       with: "a=rtcp-rsize\r\na=extmap:3 \(AbsSendTime.uri)\r\na=rtcp-fb:102 goog-remb\r\n")
        }
        defer { Task { [sessions = v.sessions, peer = v.peer] in await peer.close(); await sessions.shutdown() } }
        #expect(await eventually(within: 5) { v.keyframeRequests >= 1 })
        high.write(Self.unit(0, keyframe: true, marker: 0xAA))
        #expect(await v.nextPayload()?.first.map { $0 & 0x1F } == 24)
        let idr = try #require(await v.nextPacket())
        #expect(idr.payload.suffix(3) == [0xAA, 0xAA, 0xAA])
        // Stamped with when it left, for the browser's estimator.
        #expect((try? RTPHeader.parse(idr.packet))?.header.extensionData(id: 3)?.count == 3)
        #expect(await eventually(within: 5) { source.stream.players.first?.rendition == "720p" }, "\(source.stream.players)")

        // A wide path first: nothing moves (the top rung cannot go up).
        try v.sendRTCP(RTCP.remb(senderSSRC: 0x5555, bitrate: 10_000_000, mediaSSRCs: [v.ssrc]))
        #expect(await eventually(within: 5) { source.stream.players.first?.estimateKbps == 10_000 }, "\(source.stream.players)")
        #expect(low.stream.readerCount == 0)
        for _ in 0..<2 { try v.sendRTCP(RTCP.remb(senderSSRC: 0x5555, bitrate: 600_000, mediaSSRCs: [v.ssrc])) }
        #expect(await eventually(within: 5) { low.stream.readerCount == 1 })
        low.write(Self.unit(1, keyframe: true, marker: 0xBB))
        #expect(await v.nextPayload()?.first.map { $0 & 0x1F } == 24)
        #expect(await v.nextPayload()?.suffix(3) == [0xBB, 0xBB, 0xBB])
        #expect(await eventually(within: 5) { high.stream.readerCount == 0 })
        #expect(await eventually(within: 5) { source.stream.players.first?.rendition == "360p" }, "\(source.stream.players)")
        let status = try #require(source.stream.players.first)
        #expect(status.transport == "webrtc" && status.state == "connected" && status.movesDown == 1 && status.movesUp == 0 && status.estimateKbps == 600, "\(status)")
        // The viewer leaves: it is no longer a player (its moves stay in the stream's totals).
        await v.close()
        #expect(await eventually(within: 5) { source.stream.players.isEmpty })
        #expect(source.stream.playerTotals.movesDown == 1)
    }

    /// A viewer never builds a queue: when the transport refuses a packet (here its send-rate cap,
    /// the same refusal as a full send queue), the broken frame and everything up to the next
    /// keyframe are dropped, a keyframe is asked for, and the viewer resumes clean on it.
    @Test func aRefusedPacketDropsToTheNextKeyframeAndAsksForOne() async throws {
        let hub = StreamHub()
        let (source, high, low) = try Self.ladder(hub)
        defer { high.end(); low.end(); source.end() }
        var settings = MediaSessionSettings(host: "127.0.0.1", port: 0, maxSessions: 4)
        settings.keyframeRequestInterval = .zero
        settings.transportLimits.maxSendBytesPerSecond = 16_000 // a one-second bucket of 16 kB
        let v = try await Self.connect(hub, settings: settings)
        defer { Task { [sessions = v.sessions, peer = v.peer] in await peer.close(); await sessions.shutdown() } }
        #expect(await eventually(within: 5) { v.keyframeRequests >= 1 })
        high.write(Self.unit(0, keyframe: true, marker: 0xAA))
        #expect(await v.nextPayload()?.first.map { $0 & 0x1F } == 24)
        #expect(await v.nextPayload()?.suffix(3) == [0xAA, 0xAA, 0xAA])
        let asked = v.keyframeRequests

        // A 40 kB frame cannot pass a 16 kB bucket: it breaks off; the next delta frame is not sent.
        high.write(Self.unit(1, keyframe: false, marker: 0xCC, size: 40_000))
        #expect(await eventually(within: 5) { v.keyframeRequests > asked })
        high.write(Self.unit(2, keyframe: false, marker: 0xDD))
        // What arrives (once the bucket refilled) is the keyframe with its parameter sets, then on.
        try await Task.sleep(for: .seconds(1.2))
        high.write(Self.unit(3, keyframe: true, marker: 0xEE))
        high.write(Self.unit(4, keyframe: false, marker: 0xFF))
        var seen: [UInt8] = []
        while let p = await v.nextPayload(within: 3) {
            // FU-A fragments of the big frame that did pass count as its marker.
            let marker: UInt8 = p.first.map { $0 & 0x1F } == 24 ? 0x24 : p.first.map { $0 & 0x1F } == 28 ? 0xCC : p.last ?? 0
            if seen.last != marker { seen.append(marker) }
            if marker == 0xFF { break }
        }
        #expect(seen.filter { $0 != 0xCC } == [0x24, 0xEE, 0xFF], "\(seen.map { String($0, radix: 16) })")
        #expect(!seen.contains(0xDD))
        #expect(v.sessions.count == 1)
    }
}

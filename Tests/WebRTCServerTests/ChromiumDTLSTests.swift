import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TestSupport
import WebRTC
@testable import WebRTCServer

/// Headless Chromium as the real peer of the transport: its ICE checks, DTLS handshake and
/// SRTP/SRTCP against ours. Signalling is a bare HTTP exchange in this test (the WHEP routes
/// are tested elsewhere); media is RTP the browser counts, not pictures it decodes.
@Suite(.serialized) struct ChromiumDTLSTests {
    /// What the page reports, by path: /state?connected, /stats?<packetsReceived>.
    final class PageReports: Sendable {
        let states = Mutex<[String]>([])
        let packetsReceived = Mutex(0)
        let answer = Mutex<String?>(nil)
    }

    static let page = """
        <!doctype html><html><body><script>
        (async () => {
          const report = (path) => fetch(path, { method: 'POST' }).catch(() => {});
          try {
            const pc = new RTCPeerConnection();
            pc.addTransceiver('video', { direction: 'recvonly' });
            pc.onconnectionstatechange = () => report('/state?' + pc.connectionState);
            await pc.setLocalDescription(await pc.createOffer());
            await new Promise((done) => {
              if (pc.iceGatheringState === 'complete') return done();
              pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') done(); };
              setTimeout(done, 3000);
            });
            const res = await fetch('/offer', { method: 'POST', body: pc.localDescription.sdp });
            await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
            setInterval(async () => {
              let n = 0;
              (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') n = r.packetsReceived; });
              report('/stats?' + n);
            }, 300);
          } catch (e) { report('/state?error-' + encodeURIComponent(String(e))); }
        })();
        </script></body></html>
        """

    /// One request per connection: enough for a page that only fetches.
    final class HTTPHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let route: @Sendable (String, String, String) -> String  // method, target, body → response body
        init(route: @escaping @Sendable (String, String, String) -> String) { self.route = route }
        private let buffer = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            let bytes = b.readBytes(length: b.readableBytes) ?? []
            let all = buffer.withLock { $0 += bytes; return $0 }
            guard let end = all.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            let head = String(decoding: all[..<end.lowerBound], as: UTF8.self)
            let lines = head.components(separatedBy: "\r\n")
            let parts = lines.first?.split(separator: " ") ?? []
            guard parts.count >= 2 else { context.close(promise: nil); return }
            let length = lines.dropFirst().compactMap { line -> Int? in
                let kv = line.split(separator: ":", maxSplits: 1)
                return kv.count == 2 && kv[0].lowercased() == "content-length" ? Int(kv[1].trimmingCharacters(in: .whitespaces)) : nil
            }.first ?? 0
            guard all.count - end.upperBound >= length else { return }
            let body = String(decoding: all[end.upperBound..<end.upperBound + length], as: UTF8.self)
            let reply = route(String(parts[0]), String(parts[1]), body)
            let type = parts[1] == "/" ? "text/html" : "application/sdp"
            let response = "HTTP/1.1 200 OK\r\nContent-Type: \(type)\r\nContent-Length: \(reply.utf8.count)\r\nConnection: close\r\n\r\n\(reply)"
            var out = context.channel.allocator.buffer(capacity: response.utf8.count)
            out.writeString(response)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    @Test(.enabled(if: Player.isAvailable)) func chromiumConnectsOverDTLSAndReceivesSRTP() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = try await WebRTCTransport(host: "127.0.0.1", port: 0, advertisedIP: nil, certificate: try DTLSCertificate.generate(),
                                                  group: group, logger: Logger(label: "webrtc-chromium-test"))
        let recorder = RecordingDelegate()
        let reports = PageReports()
        let peer = Mutex<PeerConnection?>(nil)
        let http = try await ServerBootstrap(group: group)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(HTTPHandler { method, target, body in
                        if method == "GET" { return Self.page }
                        if target == "/offer" {
                            do {
                                let (sdp, session) = try SDPNegotiator.answer(
                                    offer: body, role: .whep, localUfrag: "chr\(UInt16.random(in: 1000...9999))",
                                    localPwd: "chromium-test-pwd-0123456789", localFingerprintSHA256: transport.certificate.fingerprintSHA256,
                                    candidateIP: "127.0.0.1", candidatePort: UInt16(transport.localPort), h264ProfileLevelID: nil,
                                    ssrcs: (video: 0x5150, audio: 0x5151))
                                let pc = try transport.register(session, delegate: recorder)
                                peer.withLock { $0 = pc }
                                reports.answer.withLock { $0 = sdp }
                                return sdp
                            } catch {
                                reports.states.withLock { $0.append("offer refused: \(error)") }
                                return ""
                            }
                        }
                        if target.hasPrefix("/state?") { reports.states.withLock { $0.append(String(target.dropFirst(7))) } }
                        if target.hasPrefix("/stats?"), let n = Int(target.dropFirst(7)) { reports.packetsReceived.withLock { $0 = n } }
                        return ""
                    })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let httpPort = http.localAddress?.port ?? 0
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-chromium-\(UUID().uuidString)")
        let chromium = try ExternalProcess("/usr/bin/chromium", [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--allow-loopback-in-peer-connection", "--user-data-dir=\(profile.path)", "--remote-debugging-port=0",
            "http://127.0.0.1:\(httpPort)/",
        ])
        defer {
            chromium.stop()
            try? FileManager.default.removeItem(at: profile)
        }

        let connected = await eventually(within: 30) { recorder.snapshot.connected == 1 }
        #expect(connected, "page: \(reports.states.withLock { $0 }), chromium: \(chromium.errors.suffix(800))")
        if connected, let pc = peer.withLock({ $0 }), let video = pc.session.video {
            // Single-NAL-unit packets (non-IDR slices): enough for Chromium to count them.
            var seq: UInt16 = 100
            let sentAll = await eventually(within: 20) {
                for _ in 0..<5 {
                    let header: [UInt8] = [0x80, 0x80 | video.payloadType, UInt8(seq >> 8), UInt8(seq & 0xFF),
                                           0, 0, UInt8(seq >> 8), UInt8(seq & 0xFF),
                                           UInt8(video.ssrc >> 24), UInt8((video.ssrc >> 16) & 0xFF), UInt8((video.ssrc >> 8) & 0xFF), UInt8(video.ssrc & 0xFF)]
                    _ = pc.sendRTP(header + [0x41, 0x9A] + Array(repeating: 0x42, count: 300))
                    seq &+= 1
                }
                return reports.packetsReceived.withLock { $0 } > 0 && !recorder.snapshot.rtcp.isEmpty
            }
            #expect(sentAll, "Chromium counted \(reports.packetsReceived.withLock { $0 }) packets; RTCP from it: \(recorder.snapshot.rtcp.count)")
            #expect(reports.states.withLock { $0 }.contains("connected"))
            #expect(pc.stats.srtpErrors == 0)
            // Chromium offers both profiles; the server's preference, GCM, is taken.
            #expect(pc.stats.srtpProfile == .aeadAes128Gcm)
        }
        await transport.shutdown()
        try? await http.close()
        try await group.shutdownGracefully()
    }
}

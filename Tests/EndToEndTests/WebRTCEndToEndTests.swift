import Config
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MediaCore
import Server
import StreamHub
import Testing
import TestSupport

/// WHEP/WHIP over real HTTP on a whole Sluice (Docs/Protocols.md "WebRTC"), the ladder's Opus
/// rendition for WebRTC viewers, and the real peer: Chromium plays a stream over WHEP and
/// publishes its fake camera over WHIP.
@Suite(.serialized) struct WebRTCEndToEndTests {
    /// Routes, access and limits on one server: `secure/*` needs a signed play URL, `keyed/*` a
    /// publish key, and two sessions at most.
    @Test func routesRefuseWhatTheyShouldAndTheLadderPublishesOpus() async throws {
        let h = try await ServerHarness.start(ladder: "240p:250k") { c in
            c.file.webrtc.port = 0
            c.file.webrtc.maxSessions = 2
            c.origin.maxRequestBytes = 256 << 10 // above the routes' own 64 KiB bound on an offer
            var secure = SluiceConfig.PathRule(match: "secure/*")
            secure.play = SluiceConfig.PlayAuth()
            secure.play?.signingSecret = "play-secret"
            var keyed = SluiceConfig.PathRule(match: "keyed/*")
            keyed.publish = SluiceConfig.PublishAuth()
            keyed.publish?.keys = ["k1"]
            c.file.paths = [secure, keyed]
        }
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/w", seconds: 60)
        defer { push.kill() }

        // The ladder's Opus rendition reaches the hub: WebRTC viewers never encode.
        var opus: LiveStream?
        for _ in 0..<60 where opus == nil {
            opus = h.server.hub.stream("live/w/opus")
            if opus == nil { try await Task.sleep(for: .milliseconds(250)) }
        }
        let audio = try #require(opus, "no live/w/opus in \(h.server.hub.paths); ffmpeg: \(push.errors)")
        let reader = try #require(audio.subscribe(capacity: 64))
        var units: [MediaUnit] = []
        var tracks: [TrackInfo] = []
        let deadline = Date().addingTimeInterval(10)
        while units.count < 5, Date() < deadline {
            switch reader.next(timeout: .seconds(1)) {
            case .tracks(let t)?: tracks = t
            case .unit(let u)?: units.append(u)
            default: break
            }
        }
        audio.unsubscribe(reader)
        #expect(tracks.map(\.codec) == [.opus] && tracks.first?.sampleRate == 48_000, "\(tracks)")
        #expect(units.count >= 5 && units.allSatisfy { $0.track == .audio && $0.timebase == Rational(1, 48_000) })

        // CORS preflight.
        let pre = await h.request("OPTIONS", "whep/live/w", token: "", headers: ["Origin": "https://shop.example",
                                                                       "Access-Control-Request-Method": "POST"])
        #expect(pre.status == 204)
        #expect(pre.headers["access-control-allow-origin"] == "*")
        #expect(pre.headers["access-control-allow-methods"]?.contains("POST") == true)
        #expect(pre.headers["access-control-allow-headers"]?.contains("Authorization") == true)
        #expect(pre.headers["access-control-expose-headers"]?.contains("Location") == true)

        // Refusals: bad SDP, no common codec, unknown stream or rendition, wrong type, size.
        let bad = await post(h, "whep/live/w", "v=0\r\nthis is no SDP\r\n")
        #expect(bad.status == 400 && bad.body.contains("SDP"), "\(bad)")
        let vp8 = await post(h, "whep/live/w", Self.offer(video: "VP8"))
        #expect(vp8.status == 400 && vp8.body.contains("no common video codec"), "\(vp8)")
        #expect(await post(h, "whep/live/nothing", Self.offer()).status == 404)
        #expect(await post(h, "whep/live/w/1080p", Self.offer()).status == 404)
        #expect(await post(h, "whep/live/w", Self.offer(), type: "text/plain").status == 415)
        #expect(await post(h, "whep/live/w", String(repeating: "a", count: 70_000)).status == 413)

        // Access: play like HLS (signed URLs), publish like RTMP/SRT (keys, or the bearer token).
        #expect(await post(h, "whep/secure/x", Self.offer()).status == 401)
        #expect(await post(h, "whep/secure/x?exp=9999999999&token=00", Self.offer()).status == 403)
        #expect(await post(h, "whip/keyed/a", Self.offer(direction: "sendonly")).status == 401)
        #expect(await post(h, "whip/keyed/a", Self.offer(direction: "sendonly"), headers: ["Authorization": "Bearer nope"]).status == 403)

        // A session: 201 with the answer and its resource; the rendition is chosen by URL.
        let ok = await post(h, "whep/live/w/240p", Self.offer())
        #expect(ok.status == 201, "\(ok)")
        #expect(ok.headers["content-type"] == "application/sdp")
        #expect(ok.body.contains("a=ice-lite") && ok.body.contains("a=setup:passive") && ok.body.contains("H264/90000"), "\(ok.body)")
        let location = try #require(ok.headers["location"], "\(ok.headers)")
        #expect(location.hasPrefix("/whep/sessions/"))
        // A WHIP publisher with the key: the path is published.
        let whip = await post(h, "whip/keyed/a", Self.offer(direction: "sendonly"), headers: ["Authorization": "Bearer k1"])
        #expect(whip.status == 201, "\(whip)")
        #expect(h.server.hub.stream("keyed/a")?.hasPublisher == true)
        // webrtc.maxSessions = 2.
        let full = await post(h, "whep/live/w", Self.offer())
        #expect(full.status == 503 && full.headers["retry-after"] != nil, "\(full)")

        #expect(await h.request("PATCH", String(location.dropFirst()), token: "").status == 405)
        #expect(await h.request("DELETE", String(location.dropFirst()), token: "").status == 200)
        #expect(await h.request("DELETE", String(location.dropFirst()), token: "").status == 404)
        if let whipLocation = whip.headers["location"] {
            #expect(await h.request("DELETE", String(whipLocation.dropFirst()), token: "").status == 200)
            #expect(await eventually(within: 5) { h.server.hub.stream("keyed/a")?.hasPublisher != true })
        }
    }

    /// Chromium plays the ladder over WHEP (frames decoded, still decoding in the second half;
    /// its REMB estimate reaches the viewer's rung policy), then publishes its fake camera over
    /// WHIP, and ffprobe reads the HLS rendition made of it.
    @Test(.enabled(if: Player.isAvailable, "needs chromium"))
    func chromiumPlaysOverWHEPAndPublishesOverWHIP() async throws {
        let h = try await ServerHarness.start(ladder: "360p:600k,240p:250k") { $0.file.webrtc.port = 0 }
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/rtc", seconds: 60)
        defer { push.kill() }
        #expect(await eventually(within: 20) { h.server.hub.renditions(of: "live/rtc").count == 2 }, "\(push.errors)")

        // While it plays, the viewer shows in the stream's players with its rung and Chromium's
        // bandwidth estimate (REMB: the answer said goog-remb).
        let watched = Task { () -> [PlayerStatus] in
            var seen: [PlayerStatus] = []
            while !Task.isCancelled {
                if let p = h.server.hub.stream("live/rtc")?.players.first(where: { $0.transport == "webrtc" }) { seen.append(p) }
                try? await Task.sleep(for: .milliseconds(200))
            }
            return seen
        }
        let play = try await Self.page(h, ["--page", "webrtc", "--src", "/whep/live/rtc", "--seconds", "8"])
        watched.cancel()
        let players = await watched.value
        print("WHEP in Chromium: \(play)")
        print("as a player: \(players.last.map { "\($0)" } ?? "never")")
        #expect(players.contains { ["360p", "240p"].contains($0.rendition) }, "\(players.suffix(3))")
        #expect(players.contains { ($0.estimateKbps ?? 0) > 0 }, "Chromium sent no REMB: \(players.suffix(3))")
        #expect(play["fatal"] == nil || play["fatal"] is NSNull, "\(play)")
        let decoded = play["framesDecoded"] as? Int ?? 0
        let halfway = play["framesDecodedHalfway"] as? Int ?? 0
        #expect(decoded > 0, "\(play)")
        #expect(decoded > halfway && halfway > 0, "playback stopped: \(play)")
        // The ladder's Opus rendition reached the browser too.
        #expect((play["audioPacketsReceived"] as? Int ?? 0) > 0, "\(play)")
        #expect(play["iceState"] as? String == "connected" || play["iceState"] as? String == "completed", "\(play)")
        // The viewer left with DELETE: no session stays.
        #expect(await eventually(within: 5) { h.server.webrtcSessionCount == 0 })

        let stage = try await Self.page(h, ["--page", "stage", "--dst", "/whip/live/guest", "--seconds", "8"])
        print("WHIP from Chromium: \(stage)")
        #expect((stage["framesEncoded"] as? Int ?? 0) > 0 && stage["encoder"] as? String == "video/H264", "\(stage)")
        // The publisher just left; the ladder's playlists stay served through the end grace.
        let probe = try ExternalProcess("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "compact",
                                                    h.url("live/guest/240p/index.m3u8")])
        _ = await probe.waitForExit(seconds: 30)
        #expect(probe.output.contains("codec_name=h264|width=426|height=240") && probe.output.contains("codec_name=aac"),
                "ffprobe: \(probe.output) \(probe.errors)")
    }

    // MARK: helpers

    static func page(_ h: ServerHarness, _ args: [String]) async throws -> [String: Any] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tools/players/webrtc-play.py").path
        let process = try ExternalProcess("python3", [script, "--server", h.url("")] + args)
        defer { process.kill() }
        let status = await process.waitForExit(seconds: 60)
        let report = (try? JSONSerialization.jsonObject(with: Data(process.output.utf8))) as? [String: Any]
        return try #require(status == 0 ? report : nil, "page: \(status) \(process.output) \(process.errors)")
    }

    /// A browser-like offer: BUNDLE, rtcp-mux, ICE credentials, a fingerprint; H.264 (or `video`)
    /// and Opus, receive-only (WHEP) or send-only (WHIP).
    static func offer(video: String = "H264", direction: String = "recvonly") -> String {
        let fingerprint = Array(repeating: "AB", count: 32).joined(separator: ":")
        let common = ["c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
                      "a=fingerprint:sha-256 \(fingerprint)", "a=setup:actpass"]
        var lines = ["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1", "a=msid-semantic: WMS",
                     "m=video 9 UDP/TLS/RTP/SAVPF 102 103"] + common + ["a=mid:0", "a=\(direction)", "a=rtcp-mux", "a=rtcp-rsize"]
        if video == "H264" {
            lines += ["a=rtpmap:102 H264/90000", "a=rtcp-fb:102 nack", "a=rtcp-fb:102 nack pli",
                      "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"]
        } else {
            lines += ["a=rtpmap:102 \(video)/90000", "a=rtcp-fb:102 nack"]
        }
        lines += ["a=rtpmap:103 rtx/90000", "a=fmtp:103 apt=102", "m=audio 9 UDP/TLS/RTP/SAVPF 111"] + common
            + ["a=mid:1", "a=\(direction)", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1"]
        if direction == "sendonly" { lines += ["a=ssrc:1234 cname:test"] }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// The routes are open to anyone: no operator token.
    func post(_ h: ServerHarness, _ path: String, _ body: String, type: String = "application/sdp",
              headers: [String: String] = [:]) async -> (status: Int?, headers: [String: String], body: String) {
        await h.request("POST", path, token: "", headers: headers.merging(["Content-Type": type]) { a, _ in a }, body: Data(body.utf8))
    }
}

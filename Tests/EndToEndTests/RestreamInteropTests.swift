import Foundation
import HLS
import Ingest
import Server
import Testing
import TestSupport

/// Restreaming against real peers: a local nginx-rtmp and a second Sluice, one of them killed
/// and started again mid-stream, next to a destination that never answers; RTMPS through a TLS
/// terminator with a certificate made here.
@Suite(.serialized) struct RestreamInteropTests {
    static let rtmpModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

    /// nginx-rtmp as a platform: one process (no master, no workers), so SIGKILL kills all of it.
    static func startNginxRTMP(port: Int, dir: URL) throws -> SpawnedServer {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let binary = try #require(nginx, "nginx is not installed (make deps installs it)")
        try #require(FileManager.default.fileExists(atPath: rtmpModule), "libnginx-mod-rtmp is not installed (make deps installs it)")
        let conf = dir.appendingPathComponent("nginx.conf")
        try """
        load_module \(rtmpModule);
        daemon off;
        master_process off;
        pid \(dir.path)/nginx.pid;
        error_log \(dir.path)/error.log warn;
        events { worker_connections 64; }
        rtmp {
            server {
                listen 127.0.0.1:\(port);
                application live { live on; }
            }
        }
        """.write(to: conf, atomically: true, encoding: .utf8)
        return try SpawnedServer(binary, ["-c", conf.path, "-p", dir.path])
    }

    /// ffprobe reading `url` for `seconds` of media: the video packets' DTS, in seconds.
    static func probeVideo(_ url: String, seconds: Int) throws -> ExternalProcess {
        try ExternalProcess("ffprobe", ["-v", "error", "-read_intervals", "%+\(seconds)", "-select_streams", "v:0",
                                        "-show_entries", "packet=dts_time", "-of", "csv=p=0", url])
    }

    static func dts(_ probe: ExternalProcess) -> [Double] {
        probe.output.split(separator: "\n").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The largest step between consecutive DTS: a gap in the media shows here whatever the clock did.
    static func largestStep(_ dts: [Double]) -> Double {
        zip(dts, dts.dropFirst()).map { $1 - $0 }.max() ?? .infinity
    }

    static func playlist(_ h: ServerHarness, _ path: String) async -> PlaylistReader.Media? {
        let answer = await h.get(path)
        guard answer.status == 200 else { return nil }
        return try? PlaylistReader.media(answer.body)
    }

    @Test func aKilledDestinationReconnectsWhileTheOtherAndLocalViewersSeeNoGap() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-restream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let nginxPort = try ClosedPort.make()
        // Spawned before any other tool of this test, so it holds none of their handles.
        var nginx: SpawnedServer? = try Self.startNginxRTMP(port: nginxPort, dir: dir)
        defer { nginx?.stop() }

        let origin = try await ServerHarness.start(ladder: "240p:250k")
        let platform = try await ServerHarness.start { $0.transcode = nil }
        defer { Task { await origin.stop(); await platform.stop() } }
        let push = try origin.rtmpPush(path: "live/show", seconds: 90)
        defer { push.kill() }

        let fw = origin.server.forwarding
        let toNginx = try fw.add(path: "live/show", url: "rtmp://127.0.0.1:\(nginxPort)/live/show")
        let toSluice = try fw.add(path: "live/show", url: "rtmp://127.0.0.1:\(platform.server.rtmpPort!)/live/copy")
        // A destination that accepts the connection (the kernel does) and then never answers.
        let silent = try ListeningSocket()
        defer { silent.close() }
        let toSilent = try fw.add(path: "live/show", url: "rtmp://127.0.0.1:\(silent.port)/live/silent")
        #expect(await eventually(within: 40) {
            fw.statuses.filter { $0.id != toSilent.id }.allSatisfy { $0.state == .live } && (platform.server.hub.stream("live/copy")?.unitsIn ?? 0) > 50
        }, "forwards: \(fw.statuses)")
        let sourcePlaylist = "live/show/source/index.m3u8"
        // ffmpeg's HLS reader gives up on a playlist that lists parts but no whole segment yet.
        #expect(await eventuallyAsync(within: 20) { (await Self.playlist(origin, sourcePlaylist)?.segments.filter { $0.uri != nil }.count ?? 0) >= 2 })
        let before = try #require(await Self.playlist(origin, sourcePlaylist), "the origin's own HLS")

        // Watch the surviving destination and the origin's own HLS across the kill and the restart.
        let platformProbe = try Self.probeVideo("rtmp://127.0.0.1:\(platform.server.rtmpPort!)/live/copy", seconds: 14)
        let localProbe = try Self.probeVideo(origin.url(sourcePlaylist), seconds: 14)
        try await Task.sleep(for: .seconds(2))

        kill(nginx!.pid, SIGKILL) // the platform's server dies: no FIN for the stream, just gone
        nginx!.stop()
        nginx = nil
        #expect(await eventually(within: 20) { fw.statuses.first { $0.id == toNginx.id }.map { $0.errors >= 1 } ?? false },
                "forwards: \(fw.statuses)")
        nginx = try Self.startNginxRTMP(port: nginxPort, dir: dir)
        #expect(await eventually(within: 40) {
            fw.statuses.first { $0.id == toNginx.id }.map { $0.state == .live && $0.connects >= 2 } ?? false
        }, "forwards: \(fw.statuses)")

        // The restarted nginx-rtmp gets the stream again: a player of it reads video.
        let nginxProbe = try Self.probeVideo("rtmp://127.0.0.1:\(nginxPort)/live/show", seconds: 3)
        #expect(await nginxProbe.waitForExit(seconds: 30) == 0, "\(nginxProbe.errors)")
        #expect(Self.dts(nginxProbe).count > 25, "nginx-rtmp after its restart: \(Self.dts(nginxProbe).count) video packets")

        let statuses = fw.statuses
        let killed = try #require(statuses.first { $0.id == toNginx.id })
        #expect(killed.errors >= 1 && killed.lastError != nil && killed.lastReconnectSeconds != nil, "\(killed)")
        // The silent one timed out (5 s without a byte read) and keeps retrying, costing nobody anything.
        #expect(await eventually(within: 20) { fw.statuses.first { $0.id == toSilent.id }.map { $0.errors >= 1 } ?? false },
                "forwards: \(fw.statuses)")
        // The other destination never noticed: one connection, nothing dropped.
        let survivor = try #require(statuses.first { $0.id == toSluice.id })
        #expect(survivor.state == .live && survivor.connects == 1 && survivor.errors == 0 && survivor.droppedUnits == 0, "\(survivor)")

        // What the second Sluice's viewer and the origin's own HLS viewer received across the
        // kill and restart: 14 s of video, one frame after another (25 fps: 0.04 s apart).
        #expect(await platformProbe.waitForExit(seconds: 40) == 0, "\(platformProbe.errors)")
        #expect(await localProbe.waitForExit(seconds: 40) == 0, "\(localProbe.errors)")
        for (name, probe) in [("second Sluice (RTMP play)", platformProbe), ("origin LL-HLS", localProbe)] {
            let dts = Self.dts(probe)
            let span = (dts.last ?? 0) - (dts.first ?? 0)
            print("restream: \(name): \(dts.count) video frames over \(span) s of media, largest DTS step \(Self.largestStep(dts)) s")
            #expect(span > 12 && Self.largestStep(dts) < 0.1,
                    "\(name): \(dts.count) frames, span \(span) s, largest step \(Self.largestStep(dts)) s; \(probe.errors)")
        }
        let after = try #require(await Self.playlist(origin, sourcePlaylist))
        #expect(after.segments.allSatisfy { !$0.discontinuity } && after.discontinuitySequence == before.discontinuitySequence,
                "the origin's playlist has a discontinuity")
        #expect(after.mediaSequence + after.segments.count > before.mediaSequence + before.segments.count)
        #expect(push.isRunning, "the publisher was cut off")
    }

    /// A TLS terminator in front of the second Sluice's RTMP port: what `rtmps://` platforms run.
    static let terminator = """
    import asyncio, ssl, sys
    port, upstream, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    async def pipe(r, w):
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except Exception:
            pass
        finally:
            w.close()
    async def handle(r, w):
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            w.close()
            return
        await asyncio.gather(pipe(r, uw), pipe(ur, w))
    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()
    asyncio.run(main())
    """

    @Test func rtmpsVerifiesTheCertificateAndItsHostByDefault() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-rtmps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        // A self-signed certificate for 127.0.0.1 (not for "localhost").
        let openssl = try ExternalProcess("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                                      "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                                                      "-addext", "subjectAltName=IP:127.0.0.1"])
        #expect(await openssl.waitForExit(seconds: 20) == 0, "\(openssl.errors)")

        let origin = try await ServerHarness.start(ladder: "240p:250k")
        let platform = try await ServerHarness.start { $0.transcode = nil }
        defer { Task { await origin.stop(); await platform.stop() } }
        let script = dir.appendingPathComponent("terminator.py")
        try Self.terminator.write(to: script, atomically: true, encoding: .utf8)
        let tlsPort = try ClosedPort.make()
        let tls = try ExternalProcess("python3", [script.path, "\(tlsPort)", "\(platform.server.rtmpPort!)", cert, key])
        defer { tls.stop() }
        #expect(await eventually(within: 20) { tls.output.contains("ready") }, "TLS terminator: \(tls.errors)")
        let push = try origin.rtmpPush(path: "live/show")
        defer { push.kill() }

        let fw = origin.server.forwarding
        let base = "rtmps://127.0.0.1:\(tlsPort)/live"
        let trusted = try fw.add(path: "live/show", url: "\(base)/with-ca", tls: .init(caFile: cert))
        let unverified = try fw.add(path: "live/show", url: "\(base)/no-verify", tls: .init(verify: false))
        let untrusted = try fw.add(path: "live/show", url: "\(base)/system-store") // self-signed: not in the system store
        let wrongHost = try fw.add(path: "live/show", url: "rtmps://localhost:\(tlsPort)/live/wrong-host", tls: .init(caFile: cert))
        #expect(trusted.verifyTLS == true && trusted.caFile == cert && untrusted.verifyTLS == true && untrusted.caFile == nil)

        #expect(await eventually(within: 40) {
            (platform.server.hub.stream("live/with-ca")?.unitsIn ?? 0) > 50 && (platform.server.hub.stream("live/no-verify")?.unitsIn ?? 0) > 50
        }, "forwards: \(fw.statuses)")
        #expect(await eventually(within: 30) {
            [untrusted.id, wrongHost.id].allSatisfy { id in fw.statuses.first { $0.id == id }.map { $0.errors >= 2 } ?? false }
        }, "forwards: \(fw.statuses)")
        let statuses = fw.statuses
        for id in [untrusted.id, wrongHost.id] {
            let failing = try #require(statuses.first { $0.id == id })
            #expect(failing.state != .live && failing.lastError?.contains("certificate") == true, "\(failing)")
        }
        #expect(statuses.filter { [trusted.id, unverified.id].contains($0.id) }.allSatisfy { $0.state == .live }, "\(statuses)")
        // The refused handshakes never reached the platform's RTMP server.
        #expect(platform.server.hub.stream("live/system-store") == nil && platform.server.hub.stream("live/wrong-host") == nil)
        #expect(throws: Forwarding.AddError.self) {
            try fw.add(path: "live/show", url: "\(base)/x", tls: .init(caFile: dir.appendingPathComponent("missing.pem").path))
        }
    }
}

import ArgumentParser
import FFmpegBridge
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HLS
import LatencyProbe
import Logging
import MediaCore
import NIOCore
import NIOPosix
import Origin
import ServiceLifecycle
import StreamHub

extension Bench {
    /// N simulated LL-HLS viewers on plain SwiftNIO HTTP/1.1 connections. Each follows blocking
    /// reloads (`_HLS_msn`/`_HLS_part` for the part after the newest) and fetches every new
    /// part, as hls.js does. Against a static copy (ENDLIST, e.g. nginx) each viewer walks the
    /// parts at their own pace with the same request pattern (playlist, then part).
    struct Viewers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Simulate N LL-HLS viewers against any HLS URL and report delivery delay."
        )
        @Option(help: "Media or multivariant playlist URL (http://host:port/path).") var url: String = ""
        @Option(help: "Number of viewers.") var count: Int = 100
        @Option(help: "Seconds to run.") var duration: Int = 30
        @Option(help: "PID of the server, to report its CPU and memory per viewer (repeat for several processes, e.g. nginx workers).")
        var serverPid: [Int32] = []
        @Flag(help: "End with one JSON object on the last line.") var json = false
        @Option(help: "Instead of viewers: serve this media file (H.264/AAC, FLV or MP4), looped in real time, as live LL-HLS at http://0.0.0.0:PORT/live/bench/index.m3u8, until SIGINT/SIGTERM.")
        var serveFile: String?
        @Option(help: "Port for --serve-file.") var port: Int = 8080
        @Option(help: "Event-loop threads for the viewers (default: one per core).") var threads: Int = System.coreCount
        @Option(help: "The Sluice origin (http://host:port) when --url is an edge in front of it (default: --url's own host). Its API's per-rendition counters give origin requests per part, and a watcher there times each part's listing.")
        var origin: String?
        @Option(help: "The origin's operator API token (default: $SLUICE_API_TOKEN).") var apiToken: String?

        func run() async throws {
            if let serveFile { return try await serve(serveFile) }
            guard let target = ViewerTarget(url) else { throw ValidationError("expected http://host[:port]/path, got \(url)") }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
            // The origin watcher on its own thread, so the viewers' load does not delay its clock.
            let watchGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            do {
                try await measure(target: target, group: group, watchLoop: watchGroup.next())
            } catch {
                try? await group.shutdownGracefully()
                try? await watchGroup.shutdownGracefully()
                throw error
            }
            try await group.shutdownGracefully()
            try await watchGroup.shutdownGracefully()
        }

        private func measure(target: ViewerTarget, group: MultiThreadedEventLoopGroup, watchLoop: any EventLoop) async throws {
            // Resolve a multivariant playlist to its first variant (one request: Foundation's client).
            guard let address = URL(string: url) else { throw ValidationError("not a URL: \(url)") }
            let (data, response) = try await URLSession.shared.data(from: address)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200 else { throw ValidationError("GET \(target.path): HTTP \(status)") }
            var mediaPath = target.path
            let text = String(decoding: data, as: UTF8.self)
            if PlaylistReader.isMultivariant(text), let first = try? PlaylistReader.multivariant(text).first {
                mediaPath = ViewerTarget.resolve(first.uri, against: target.path)
            }
            // The origin: its counters before and after, and a watcher timing each part's listing there.
            let originBase = try originBase(target)
            let token = apiToken ?? ProcessInfo.processInfo.environment["SLUICE_API_TOKEN"] ?? ""
            let media0 = mediaPath.split(separator: "?").first.map(String.init) ?? mediaPath
            let streamPath = OriginCounters.streamPath(ofMediaPlaylist: media0)
            let countersBefore = await OriginCounters.read(origin: originBase, stream: streamPath, token: token)
            let listed = ListedParts()
            let server = serverPid.isEmpty ? nil : ProcessSample(serverPid)
            let ownBefore = ProcessSample(getpid())
            let start = ContinuousClock.now
            let deadline = NIODeadline.now() + .seconds(Int64(duration))
            let media = mediaPath.split(separator: "?").first.map(String.init) ?? mediaPath
            // Viewers spread over the loops round-robin; each is a state machine on its loop,
            // tallied with the other viewers there.
            let loops = group.makeIterator().map { $0 }
            var tallies: [NIOLoopBound<ViewerTally>] = []
            for loop in loops { tallies.append(try await loop.submit { NIOLoopBound(ViewerTally(), eventLoop: loop) }.get()) }
            let watchTally = try await watchLoop.submit { NIOLoopBound(ViewerTally(), eventLoop: watchLoop) }.get()
            let watch = originBase.map { base in
                watchLoop.flatSubmit {
                    ViewerDriver.run(target: base, path: media, loop: watchLoop, deadline: deadline, tally: watchTally.value,
                                     listed: listed, watcher: true)
                }
            }
            let viewers = (0..<count).map { i -> EventLoopFuture<Void> in
                let (loop, tally) = (loops[i % loops.count], tallies[i % loops.count])
                return loop.flatSubmit {
                    ViewerDriver.run(target: target, path: media, loop: loop, deadline: deadline, tally: tally.value,
                                     listed: originBase == nil ? nil : listed)
                }
            }
            for v in viewers { try await v.get() }
            try await watch?.get()
            let watcherRequests = try await watchLoop.submit { watchTally.value.stats.requests }.get()
            let countersAfter = await OriginCounters.read(origin: originBase, stream: streamPath, token: token)
            var s = ViewerStats()
            for (loop, tally) in zip(loops, tallies) { s.merge(try await loop.submit { tally.value.stats }.get()) }
            let elapsed = (ContinuousClock.now - start).seconds
            let after = serverPid.isEmpty ? nil : ProcessSample(serverPid)
            let own = Double(ProcessSample(getpid()).cpuTicks - ownBefore.cpuTicks) / Double(sysconf(Int32(_SC_CLK_TCK))) / elapsed * 100
            var report: [String: Any] = [
                "url": url, "media_playlist": mediaPath, "viewers": count, "seconds": elapsed,
                "requests": s.requests, "requests_per_s": Double(s.requests) / elapsed, "errors": s.errors,
                "errors_by_kind": s.errorKinds,
                "parts": s.parts, "bytes": s.bytes, "mbit_per_s": Double(s.bytes) * 8 / elapsed / 1e6,
                "mode": s.replayed > 0 ? "replay (ENDLIST)" : "live",
                "generator_cpu_percent": own, "generator_threads": threads,
            ]
            func ms(_ values: LatencyHistogram, _ q: Double) -> Double { values.milliseconds(atQuantile: q) }
            report["reload_to_delivery_ms_p50"] = ms(s.reloadToDelivery, 0.5)
            report["reload_to_delivery_ms_p99"] = ms(s.reloadToDelivery, 0.99)
            report["part_end_to_delivery_ms_p50"] = ms(s.partEndToDelivery, 0.5)
            report["part_end_to_delivery_ms_p99"] = ms(s.partEndToDelivery, 0.99)
            report["part_request_ms_p50"] = ms(s.partRequest, 0.5)
            report["part_request_ms_p99"] = ms(s.partRequest, 0.99)
            if let server, let after {
                let cpu = Double(after.cpuTicks - server.cpuTicks) / Double(sysconf(Int32(_SC_CLK_TCK))) / elapsed * 100
                report["server_cpu_percent"] = cpu
                report["server_cpu_percent_per_viewer"] = cpu / Double(count)
                report["server_rss_mib"] = Double(after.rssKiB) / 1024
                report["server_rss_kib_per_viewer_delta"] = Double(after.rssKiB - server.rssKiB) / Double(count)
            }
            print("viewers \(count) for \(String(format: "%.1f", elapsed)) s on \(mediaPath) [\(report["mode"]!)]")
            print(String(format: "  requests %d (%.0f/s), errors %d, parts %d, %.1f Mbit/s", s.requests,
                         Double(s.requests) / elapsed, s.errors, s.parts, Double(s.bytes) * 8 / elapsed / 1e6))
            if !s.errorKinds.isEmpty {
                print("  errors by kind: " + s.errorKinds.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            print(String(format: "  blocking reload returned -> part delivered: p50 %.1f ms, p99 %.1f ms",
                         ms(s.reloadToDelivery, 0.5), ms(s.reloadToDelivery, 0.99)))
            print(String(format: "  part end (PDT + part timing) -> part delivered: p50 %.1f ms, p99 %.1f ms",
                         ms(s.partEndToDelivery, 0.5), ms(s.partEndToDelivery, 0.99)))
            if s.partEndToDelivery.negativeCount > 0 {
                print("  (\(s.partEndToDelivery.negativeCount) of \(s.partEndToDelivery.count) parts arrived before their PDT end: the PDT clock runs ahead of this host's)")
            }
            print(String(format: "  part request -> part delivered: p50 %.1f ms, p99 %.1f ms",
                         ms(s.partRequest, 0.5), ms(s.partRequest, 0.99)))
            if originBase != nil {
                report["listed_at_origin_to_delivery_ms_p50"] = ms(s.listedToDelivery, 0.5)
                report["listed_at_origin_to_delivery_ms_p99"] = ms(s.listedToDelivery, 0.99)
                report["delivered_before_listed"] = s.deliveredBeforeListed
                print(String(format: "  part listed at the origin -> part delivered: p50 %.1f ms, p99 %.1f ms (%d parts timed)",
                             ms(s.listedToDelivery, 0.5), ms(s.listedToDelivery, 0.99), s.listedToDelivery.count))
                if s.deliveredBeforeListed > 0 {
                    print("  (\(s.deliveredBeforeListed) parts arrived before the origin watcher saw them listed; timed as 0)")
                }
            }
            let watchedRendition = OriginCounters.rendition(ofMediaPlaylist: media0)
            switch (countersBefore, countersAfter) {
            case (.success(let before), .success(let after)):
                let rows = OriginCounters.perPart(before: before, after: after, watcher: (watchedRendition, watcherRequests))
                print("  origin requests per part per rendition (\(streamPath); the watcher's \(watcherRequests) playlist requests left out):")
                var json: [String: Any] = [:]
                for r in rows {
                    print(r.line)
                    json[r.name] = r.json
                }
                report["origin_requests_per_part"] = json
            case (.failure(let why), _), (_, .failure(let why)):
                print("  origin requests per part per rendition: unavailable (\(why))")
                report["origin_requests_per_part_error"] = "\(why)"
            }
            if let cpu = report["server_cpu_percent"] as? Double, let rss = report["server_rss_mib"] as? Double {
                print(String(format: "  server: %.1f %% CPU (%.3f %% per viewer), RSS %.1f MiB (%.1f KiB per viewer)",
                             cpu, cpu / Double(count), rss, report["server_rss_kib_per_viewer_delta"] as? Double ?? 0))
            }
            print(String(format: "  generator: %.1f %% CPU on %d event-loop threads", own, threads))
            if json {
                let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }

        /// `--origin`, else the host of `--url`; nil when --origin is "none".
        private func originBase(_ target: ViewerTarget) throws -> ViewerTarget? {
            guard let origin else { return ViewerTarget(host: target.host, port: target.port, path: "/") }
            if origin == "none" { return nil }
            guard let base = ViewerTarget(origin) else { throw ValidationError("--origin: expected http://host[:port], got \(origin)") }
            return base
        }

        /// A file looped as a live stream: hub publisher (paced thread) -> HLSFeed -> origin.
        private func serve(_ file: String) async throws {
            let demuxer = try Demuxer(url: file)
            var tracks: [TrackInfo] = []
            var kinds: [Int: TrackKind] = [:]
            for s in demuxer.streams {
                guard let t = s.track, t.codec == .h264 || t.codec == .aac else { continue }
                tracks.append(t)
                kinds[s.index] = t.kind
            }
            var units: [MediaUnit] = []
            while let p = try demuxer.read() {
                guard let kind = kinds[Int(p.streamIndex)], let t = tracks.first(where: { $0.kind == kind }) else { continue }
                units.append(MediaUnit(track: kind, pts: p.pts, dts: p.dts, timebase: t.timebase,
                                       isKeyframe: kind == .audio || p.isKeyframe, data: p.byteBuffer(), ingestWallClock: 0))
            }
            let loopSeconds = (units.map(\.dtsSeconds).max() ?? 0) + 0.04
            let hub = StreamHub()
            let registry = HLSRegistry()
            let path = "live/bench"
            let publisher = hub.publish(path: path)
            publisher.setTracks(tracks)
            let queue = hub.stream(path)!.subscribe(capacity: 4096)!
            let feed = HLSFeed(queue: queue, stream: registry.stream(path: path), rendition: "src")
            let all = units
            let pump = Thread {
                let start = Date()
                var loop = 0
                while true {
                    for var u in all {
                        let offset = Double(loop) * loopSeconds
                        let due = start.addingTimeInterval(u.dtsSeconds + offset)
                        let wait = due.timeIntervalSinceNow
                        if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
                        let shift = Int64(offset / u.timebase.seconds)
                        u.pts += shift
                        u.dts += shift
                        u.ingestWallClock = WallClock.nowMicros()
                        if !publisher.write(u) { return }
                    }
                    loop += 1
                }
            }
            pump.start()
            var logger = Logger(label: "sluice.bench.origin")
            logger.logLevel = .warning
            let service = HTTPOriginService(registry: registry, host: "0.0.0.0", port: port, logger: logger,
                                            onRunning: { port in print("serving http://127.0.0.1:\(port)/\(path)/index.m3u8 (pid \(getpid()))") })
            let group = ServiceGroup(configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint],
                                                          logger: logger))
            try await group.run()
            publisher.end()
            await feed.stop()
        }
    }
}

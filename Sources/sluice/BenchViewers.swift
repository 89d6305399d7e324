import ArgumentParser
import FFmpegBridge
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HLS
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

        func run() async throws {
            if let serveFile { return try await serve(serveFile) }
            guard let target = Target(url) else { throw ValidationError("expected http://host[:port]/path, got \(url)") }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
            do {
                try await measure(target: target, group: group)
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
            try await group.shutdownGracefully()
        }

        private func measure(target: Target, group: MultiThreadedEventLoopGroup) async throws {
            // Resolve a multivariant playlist to its first variant (one request: Foundation's client).
            guard let address = URL(string: url) else { throw ValidationError("not a URL: \(url)") }
            let (data, response) = try await URLSession.shared.data(from: address)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200 else { throw ValidationError("GET \(target.path): HTTP \(status)") }
            var mediaPath = target.path
            let text = String(decoding: data, as: UTF8.self)
            if text.contains("#EXT-X-STREAM-INF") {
                let lines = text.split(separator: "\n")
                if let i = lines.firstIndex(where: { $0.hasPrefix("#EXT-X-STREAM-INF") }), i + 1 < lines.count {
                    mediaPath = Target.resolve(String(lines[i + 1]), against: target.path)
                }
            }
            let server = serverPid.isEmpty ? nil : ProcessSample(serverPid)
            let ownBefore = ProcessSample(getpid())
            let start = ContinuousClock.now
            let deadline = NIODeadline.now() + .seconds(Int64(duration))
            let media = mediaPath.split(separator: "?").first.map(String.init) ?? mediaPath
            // Viewers spread over the loops round-robin; each is a state machine on its loop.
            let viewers = (0..<count).map { _ -> EventLoopFuture<Stats> in
                let loop = group.next()
                return loop.flatSubmit { ViewerDriver.run(target: target, path: media, loop: loop, deadline: deadline) }
            }
            var s = Stats()
            for v in viewers { s.merge(try await v.get()) }
            let elapsed = (ContinuousClock.now - start).seconds
            let after = serverPid.isEmpty ? nil : ProcessSample(serverPid)
            let own = Double(ProcessSample(getpid()).cpuTicks - ownBefore.cpuTicks) / Double(sysconf(Int32(_SC_CLK_TCK))) / elapsed * 100
            var report: [String: Any] = [
                "url": url, "media_playlist": mediaPath, "viewers": count, "seconds": elapsed,
                "requests": s.requests, "requests_per_s": Double(s.requests) / elapsed, "errors": s.errors,
                "parts": s.parts, "bytes": s.bytes, "mbit_per_s": Double(s.bytes) * 8 / elapsed / 1e6,
                "mode": s.replayed > 0 ? "replay (ENDLIST)" : "live",
                "generator_cpu_percent": own, "generator_threads": threads,
            ]
            func ms(_ values: [Double], _ q: Double) -> Double {
                guard !values.isEmpty else { return 0 }
                let sorted = values.sorted()
                return sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] * 1000
            }
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
            print(String(format: "  blocking reload returned -> part delivered: p50 %.1f ms, p99 %.1f ms",
                         ms(s.reloadToDelivery, 0.5), ms(s.reloadToDelivery, 0.99)))
            print(String(format: "  part end (PDT + part timing) -> part delivered: p50 %.1f ms, p99 %.1f ms",
                         ms(s.partEndToDelivery, 0.5), ms(s.partEndToDelivery, 0.99)))
            print(String(format: "  part request -> part delivered: p50 %.1f ms, p99 %.1f ms",
                         ms(s.partRequest, 0.5), ms(s.partRequest, 0.99)))
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

        /// One viewer's tally (kept on its loop, merged at the end: no shared lock per request).
        struct Stats: Sendable {
            var requests = 0
            var errors = 0
            var parts = 0
            var bytes = 0
            var replayed = 0
            /// Seconds from the blocking reload that listed a part to the part's last byte.
            var reloadToDelivery: [Double] = []
            /// Seconds from the part's end on the ingest clock (PDT + preceding parts + its
            /// duration) to its last byte. Same-host clocks only.
            var partEndToDelivery: [Double] = []
            var partRequest: [Double] = []

            mutating func merge(_ o: Stats) {
                requests += o.requests
                errors += o.errors
                parts += o.parts
                bytes += o.bytes
                replayed += o.replayed
                reloadToDelivery += o.reloadToDelivery
                partEndToDelivery += o.partEndToDelivery
                partRequest += o.partRequest
            }
        }

        struct Target: Sendable {
            var host: String
            var port: Int
            var path: String

            init?(_ url: String) {
                guard url.hasPrefix("http://") else { return nil }
                let rest = url.dropFirst(7)
                let slash = rest.firstIndex(of: "/") ?? rest.endIndex
                let authority = rest[..<slash]
                path = slash == rest.endIndex ? "/" : String(rest[slash...])
                if let colon = authority.lastIndex(of: ":") {
                    host = String(authority[..<colon])
                    guard let p = Int(authority[authority.index(after: colon)...]) else { return nil }
                    port = p
                } else {
                    host = String(authority)
                    port = 80
                }
            }

            /// Resolves a playlist URI against the path of the playlist that named it.
            static func resolve(_ uri: String, against base: String) -> String {
                if uri.hasPrefix("/") { return uri }
                var dir = base.split(separator: "?").first.map(String.init) ?? base
                if let slash = dir.lastIndex(of: "/") { dir = String(dir[...slash]) }
                var parts = dir.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                parts.removeLast()
                for c in uri.split(separator: "/") {
                    if c == ".." { if parts.count > 1 { parts.removeLast() } } else if c != "." { parts.append(String(c)) }
                }
                return parts.joined(separator: "/")
            }
        }

        /// One HLS media playlist as a viewer needs it.
        struct Playlist {
            struct PartRef { var msn: Int; var index: Int; var uri: String; var duration: Double; var endWallClock: Double? }
            var parts: [PartRef] = []
            var partTarget = 0.25
            var ended = false

            /// Parses the bytes as they came: String splitting and Foundation searches made the
            /// generator, not the server, the thing being measured.
            init(_ buffer: ByteBuffer) {
                buffer.withUnsafeReadableBytes { raw in
                    let b = raw.bindMemory(to: UInt8.self)
                    var msn = 0
                    var index = 0
                    var pdt: Double? = nil
                    var offset = 0.0
                    var start = 0
                    while start < b.count {
                        var end = start
                        while end < b.count && b[end] != 10 { end += 1 }
                        let line = UnsafeBufferPointer(rebasing: b[start..<end])
                        start = end + 1
                        guard !line.isEmpty else { continue }
                        if line[0] != 35 { // a URI line ends a segment
                            msn += 1
                            index = 0
                            pdt = nil
                        } else if let v = Playlist.after(line, "#EXT-X-PART:") {
                            let d = Playlist.attribute(v, "DURATION=").map(Playlist.number) ?? 0
                            offset += d
                            if let uri = Playlist.attribute(v, "URI=\"") {
                                parts.append(PartRef(msn: msn, index: index, uri: String(decoding: uri, as: UTF8.self),
                                                     duration: d, endWallClock: pdt.map { $0 + offset }))
                            }
                            index += 1
                        } else if let v = Playlist.after(line, "#EXT-X-PROGRAM-DATE-TIME:") {
                            pdt = Playlist.parseDate(String(decoding: v, as: UTF8.self))
                            offset = 0
                        } else if let v = Playlist.after(line, "#EXT-X-MEDIA-SEQUENCE:") {
                            msn = Int(Playlist.number(v))
                        } else if let v = Playlist.after(line, "#EXT-X-SKIP:SKIPPED-SEGMENTS=") {
                            msn += Int(Playlist.number(v))
                        } else if let v = Playlist.after(line, "#EXT-X-PART-INF:PART-TARGET=") {
                            partTarget = Playlist.number(v)
                        } else if Playlist.after(line, "#EXT-X-ENDLIST") != nil {
                            ended = true
                        }
                    }
                }
            }

            /// The rest of `line` after `prefix`, or nil.
            static func after(_ line: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> UnsafeBufferPointer<UInt8>? {
                let n = prefix.utf8CodeUnitCount
                guard line.count >= n else { return nil }
                let p = prefix.utf8Start
                for i in 0..<n where line[i] != p[i] { return nil }
                return UnsafeBufferPointer(rebasing: line[n...])
            }

            /// The value after `name` (which includes "=" and an opening quote if any), up to
            /// the closing quote or comma.
            static func attribute(_ line: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> UnsafeBufferPointer<UInt8>? {
                let n = name.utf8CodeUnitCount
                guard line.count >= n else { return nil }
                let quoted = name.utf8Start[n - 1] == 34
                var i = 0
                while i + n <= line.count {
                    if let rest = after(UnsafeBufferPointer(rebasing: line[i...]), name) {
                        var end = 0
                        while end < rest.count && rest[end] != (quoted ? 34 : 44) { end += 1 }
                        return UnsafeBufferPointer(rebasing: rest[..<end])
                    }
                    i += 1
                }
                return nil
            }

            /// A non-negative decimal number ("0.23300", "860").
            static func number(_ v: UnsafeBufferPointer<UInt8>) -> Double {
                var whole = 0.0, frac = 0.0, scale = 0.1, seenDot = false
                for c in v {
                    if c == 46 { seenDot = true; continue }
                    guard c >= 48 && c <= 57 else { break }
                    if seenDot { frac += Double(c - 48) * scale; scale /= 10 } else { whole = whole * 10 + Double(c - 48) }
                }
                return whole + frac
            }

            /// "2026-11-22T00:45:12.345Z" (UTC, as Sluice writes it) to seconds since the epoch.
            /// Hand-parsed: a DateFormatter per line made the generator the bottleneck.
            static func parseDate(_ s: String) -> Double? {
                let u = Array(s.utf8)
                guard u.count >= 20 else { return nil }
                func num(_ from: Int, _ count: Int) -> Int32? {
                    var v: Int32 = 0
                    for i in from..<(from + count) {
                        guard u[i] >= 48 && u[i] <= 57 else { return nil }
                        v = v * 10 + Int32(u[i] - 48)
                    }
                    return v
                }
                guard let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
                      let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2) else { return nil }
                var t = tm()
                t.tm_year = year - 1900
                t.tm_mon = month - 1
                t.tm_mday = day
                t.tm_hour = hour
                t.tm_min = minute
                t.tm_sec = second
                var fraction = 0.0
                if u.count > 20 && u[19] == 46 { // "."
                    var scale = 0.1
                    var i = 20
                    while i < u.count && u[i] >= 48 && u[i] <= 57 {
                        fraction += Double(u[i] - 48) * scale
                        scale /= 10
                        i += 1
                    }
                }
                return Double(timegm(&t)) + fraction
            }
        }

        /// Runs one viewer until the deadline, reconnecting (after 200 ms, counted as an error)
        /// when its connection fails.
        final class ViewerDriver {
            let target: Target
            let path: String
            let loop: any EventLoop
            let deadline: NIODeadline
            let done: EventLoopPromise<Stats>
            var total = Stats()

            private init(target: Target, path: String, loop: any EventLoop, deadline: NIODeadline) {
                self.target = target
                self.path = path
                self.loop = loop
                self.deadline = deadline
                done = loop.makePromise()
            }

            static func run(target: Target, path: String, loop: any EventLoop, deadline: NIODeadline) -> EventLoopFuture<Stats> {
                let driver = ViewerDriver(target: target, path: path, loop: loop, deadline: deadline)
                driver.connect()
                return driver.done.futureResult
            }

            private func connect() {
                guard NIODeadline.now() < deadline else { return done.succeed(total) }
                let me = NIOLoopBound(self, eventLoop: loop)
                let finished = loop.makePromise(of: ViewerHandler.Outcome.self)
                let (host, path, deadline) = (target.host, path, deadline)
                ClientBootstrap(group: loop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ViewerHandler(host: host, base: path, deadline: deadline, finished: finished))
                        }
                    }
                    .connect(host: target.host, port: target.port)
                    .whenFailure { _ in finished.succeed(ViewerHandler.Outcome(stats: Stats(), dropped: true)) }
                finished.futureResult.whenSuccess { outcome in
                    let driver = me.value
                    driver.total.merge(outcome.stats)
                    guard outcome.dropped else { return driver.done.succeed(driver.total) }
                    driver.total.errors += 1
                    driver.loop.scheduleTask(in: .milliseconds(200)) { me.value.connect() }
                }
            }
        }

        /// One simulated player on one keep-alive connection, as a state machine on its event
        /// loop (a task per request made the generator, not the server, the thing measured).
        /// It speaks just enough HTTP/1.1 itself (GET out; status, Content-Length and body in):
        /// with NIO's full HTTP codec the generator cost more CPU than the server it measured.
        final class ViewerHandler: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer
            typealias OutboundOut = ByteBuffer

            struct Outcome: Sendable {
                var stats: Stats
                /// The connection ended before the deadline.
                var dropped: Bool
            }

            private enum Pending {
                /// A full playlist: the first load, or after a failed reload.
                case playlist
                /// A blocking delta reload for the part after the newest listed.
                case reload
                case part(Playlist.PartRef, sent: NIODeadline)
                /// Static copy: the playlist request before each part, then the part.
                case replayPlaylist(Playlist.PartRef)
                case replayPart(sent: NIODeadline)
            }

            private let host: String
            private let base: String
            private let deadline: NIODeadline
            private let finished: EventLoopPromise<Outcome>
            private var context: ChannelHandlerContext?
            private var stats = Stats()
            private var pending: Pending?
            private var list = Playlist(ByteBuffer())
            private var loaded = false
            private var fresh: [Playlist.PartRef] = []
            private var next = 0
            private var fetched: (msn: Int, index: Int)?
            /// Delays count from the first blocking reload on: the backlog fetched at start is old by design.
            private var blocking = false
            private var reloadReturned = NIODeadline.now()
            private var replayStart: NIODeadline?
            private var cursor = 0
            private var done = false
            /// The response being read: status, bytes so far, and the body only for playlists
            /// (media bodies are counted, not kept: copying them made the generator the bottleneck).
            private var status = 0
            private var received = 0
            private var body = ByteBuffer()
            private var header = ByteBuffer()
            /// Body bytes still to come; nil while reading a head.
            private var remaining: Int?

            init(host: String, base: String, deadline: NIODeadline, finished: EventLoopPromise<Outcome>) {
                self.host = host
                self.base = base
                self.deadline = deadline
                self.finished = finished
            }

            func handlerAdded(context: ChannelHandlerContext) { self.context = context }
            func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

            func channelActive(context: ChannelHandlerContext) {
                send(.playlist, base)
                context.fireChannelActive()
            }

            func channelInactive(context: ChannelHandlerContext) {
                finish(dropped: NIODeadline.now() < deadline)
                context.fireChannelInactive()
            }

            func errorCaught(context: ChannelHandlerContext, error: any Error) {
                context.close(promise: nil)
            }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                var bytes = unwrapInboundIn(data)
                while bytes.readableBytes > 0 {
                    if remaining == nil {
                        // A head that spans reads is collected first; usually it is whole.
                        if header.readableBytes > 0 {
                            header.writeBuffer(&bytes)
                            bytes = header
                            header = ByteBuffer()
                        }
                        guard let end = Self.headerEnd(bytes) else {
                            if bytes.readableBytes > 64 << 10 { return context.close(promise: nil) }
                            header = bytes
                            return
                        }
                        guard let (code, length) = Self.parseHead(bytes.readableBytesView.prefix(end)) else {
                            stats.errors += 1
                            return context.close(promise: nil)
                        }
                        status = code
                        received = 0
                        remaining = length
                        body.clear()
                        bytes.moveReaderIndex(forwardBy: end + 4)
                    }
                    let n = min(remaining ?? 0, bytes.readableBytes)
                    var chunk = bytes.readSlice(length: n)!
                    received += n
                    remaining! -= n
                    switch pending {
                    case .playlist?, .reload?: body.writeBuffer(&chunk)
                    default: break
                    }
                    if remaining == 0 {
                        remaining = nil
                        responseEnded()
                    }
                }
            }

            /// Offset of "\r\n\r\n" in `buffer`'s readable bytes.
            static func headerEnd(_ buffer: ByteBuffer) -> Int? {
                buffer.withUnsafeReadableBytes { raw in
                    guard raw.count >= 4 else { return nil }
                    for i in 0...(raw.count - 4) where raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 {
                        return i
                    }
                    return nil
                }
            }

            /// Status code and Content-Length of a response head (without the blank line); nil
            /// for anything else (chunked bodies are not expected from an HLS origin).
            static func parseHead(_ head: ByteBufferView) -> (Int, Int)? {
                let lines = head.split(separator: 10)
                guard let first = lines.first, first.count >= 12 else { return nil }
                let codeDigits = first.dropFirst(9).prefix(3)
                guard codeDigits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
                let code = codeDigits.reduce(0) { $0 * 10 + Int($1 - 48) }
                let name = Array("content-length:".utf8)
                for line in lines.dropFirst() where line.count > name.count {
                    guard zip(line.prefix(name.count), name).allSatisfy({ ($0 | 0x20) == $1 }) else { continue }
                    let digits = line.dropFirst(name.count).filter { $0 >= 48 && $0 <= 57 }
                    return (code, digits.reduce(0) { $0 * 10 + Int($1 - 48) })
                }
                return code == 204 || code == 304 ? (code, 0) : nil
            }

            private func responseEnded() {
                let now = NIODeadline.now()
                stats.requests += 1
                stats.bytes += received
                if status >= 400 { stats.errors += 1 }
                guard let request = pending else { return }
                pending = nil
                switch request {
                case .playlist:
                    guard status == 200 else { return later(.milliseconds(Int64(list.partTarget * 1000))) { $0.send(.playlist, $0.base) } }
                    list = Playlist(body)
                    if list.ended {
                        if replayStart == nil { replayStart = now }
                        return replayNext()
                    }
                    if !loaded {
                        // Start like hls.js: at the newest independent-looking point, the last few parts.
                        fetched = list.parts.dropLast(3).last.map { ($0.msn, $0.index) }
                        loaded = true
                    }
                    fetchFresh(now)
                case .reload:
                    guard status == 200 else { return later(.milliseconds(Int64(list.partTarget * 1000))) { $0.send(.playlist, $0.base) } }
                    list = Playlist(body)
                    blocking = true
                    fetchFresh(now)
                case .part(let ref, let sent):
                    if status < 400 {
                        stats.parts += 1
                        stats.partRequest.append((now - sent).seconds)
                        if blocking {
                            stats.reloadToDelivery.append((now - reloadReturned).seconds)
                            if let end = ref.endWallClock { stats.partEndToDelivery.append(Date().timeIntervalSince1970 - end) }
                        }
                    }
                    fetched = (ref.msn, ref.index)
                    fetchNext()
                case .replayPlaylist(let ref):
                    send(.replayPart(sent: now), Target.resolve(ref.uri, against: base))
                case .replayPart(let sent):
                    if status < 400 { stats.parts += 1 }
                    stats.replayed += 1
                    stats.partRequest.append((now - sent).seconds)
                    cursor += 1
                    // Paced by the part durations; a fresh playlist once per pass.
                    let due = (replayStart ?? now) + .milliseconds(Int64(Double(cursor) * list.partTarget * 1000))
                    let pass = cursor % max(1, list.parts.count) == 0
                    later(due - now) { pass ? $0.send(.playlist, $0.base) : $0.replayNext() }
                }
            }

            private func fetchFresh(_ now: NIODeadline) {
                reloadReturned = now
                fresh = list.parts.filter { p in fetched.map { (p.msn, p.index) > $0 } ?? true }
                next = 0
                fetchNext()
            }

            private func fetchNext() {
                if next < fresh.count {
                    let p = fresh[next]
                    next += 1
                    return send(.part(p, sent: NIODeadline.now()), Target.resolve(p.uri, against: base))
                }
                guard let last = list.parts.last else { return later(.milliseconds(100)) { $0.send(.playlist, $0.base) } }
                // Delta updates, as hls.js asks once it holds a full playlist.
                send(.reload, "\(base)?_HLS_msn=\(last.msn)&_HLS_part=\(last.index + 1)&_HLS_skip=YES")
            }

            private func replayNext() {
                guard !list.parts.isEmpty else { return finish(dropped: false) }
                let part = list.parts[cursor % list.parts.count]
                send(.replayPlaylist(part), "\(base)?_HLS_msn=\(part.msn)&_HLS_part=\(part.index)")
            }

            private func send(_ request: Pending, _ path: String) {
                guard let context, NIODeadline.now() < deadline else { return finish(dropped: false) }
                pending = request
                var out = context.channel.allocator.buffer(capacity: path.utf8.count + host.utf8.count + 32)
                out.writeString("GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            }

            private func later(_ delay: TimeAmount, _ action: @escaping (ViewerHandler) -> Void) {
                guard let context else { return }
                let me = NIOLoopBound(self, eventLoop: context.eventLoop)
                let step = NIOLoopBound(action, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: max(delay, .zero)) { step.value(me.value) }
            }

            private func finish(dropped: Bool) {
                guard !done else { return }
                done = true
                context?.close(promise: nil)
                finished.succeed(Outcome(stats: stats, dropped: dropped))
            }
        }

        /// CPU ticks and resident memory of processes (summed), from /proc.
        struct ProcessSample {
            var cpuTicks: Int = 0
            var rssKiB: Int = 0

            init(_ pids: [Int32]) {
                for pid in pids {
                    let one = ProcessSample(pid)
                    cpuTicks += one.cpuTicks
                    rssKiB += one.rssKiB
                }
            }

            init(_ pid: Int32) {
                if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                   let close = stat.lastIndex(of: ")") {
                    // Fields after "comm)": state is field 3; utime and stime are 14 and 15.
                    let fields = stat[stat.index(after: close)...].split(separator: " ")
                    if fields.count > 12 { cpuTicks = (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) }
                }
                if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                   let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) {
                    rssKiB = Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
                }
            }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension TimeAmount {
    var seconds: Double { Double(nanoseconds) / 1e9 }
}

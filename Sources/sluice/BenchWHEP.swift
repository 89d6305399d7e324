import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import NIOPosix
import WebRTC
import WebRTCServer

/// `sluice bench whep`: N simulated WHEP viewers against any WHEP endpoint. Each viewer is a
/// `WebRTCClientPeer` (its own UDP socket, STUN checks and consent, the DTLS client role,
/// SRTP, receiver reports every second); the bench reports how many connected, how fast the
/// first packet and the first keyframe came, what each received, and the CPU both sides used.
struct BenchWHEP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whep",
        abstract: "Simulate N WebRTC (WHEP) viewers against a WHEP URL; report connects, first frame, bitrate, loss and CPU per viewer.",
        discussion: """
        Example: sluice bench whep http://127.0.0.1:8080/whep/live/show/360p --viewers 200 --server-pid $(pgrep -n sluice). \
        The viewers run in this process on this machine: its own CPU is printed too.
        """
    )

    @Argument(help: "WHEP endpoint, e.g. http://127.0.0.1:8080/whep/live/show/360p") var url: String?
    @Option(help: "Number of viewers (1–1000).") var viewers: Int = 10
    @Option(help: "Seconds to measure once every viewer has started.") var seconds: Double = 30
    @Option(help: "Seconds over which the viewers start (evenly spread).") var rampSeconds: Double = 2
    @Option(help: "PID of the server, to report its CPU in total and per viewer.") var serverPid: Int32?
    @Option(help: "With --server-pid: seconds to sample the server's CPU before any viewer starts (its load without viewers: ingest, transcode).")
    var baselineSeconds: Double = 5
    @Option(help: "Bearer token sent with every POST (play token).") var token: String?
    @Option(help: "Event-loop threads for the viewers' sockets.") var threads: Int = 2
    @Flag(help: "End with one JSON object on the last line.") var json = false

    func validate() throws {
        guard let url else { throw ValidationError("expected a WHEP URL, e.g. http://127.0.0.1:8080/whep/live/show") }
        guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https", u.host != nil else {
            throw ValidationError("expected an http(s):// WHEP URL, got \(url)")
        }
        guard (1...1000).contains(viewers) else { throw ValidationError("--viewers must be 1–1000, got \(viewers)") }
        guard seconds >= 1, seconds <= 3600 else { throw ValidationError("--seconds must be 1–3600, got \(seconds)") }
        guard rampSeconds >= 0, rampSeconds <= 600 else { throw ValidationError("--ramp-seconds must be 0–600, got \(rampSeconds)") }
        guard baselineSeconds >= 0, baselineSeconds <= 600 else { throw ValidationError("--baseline-seconds must be 0–600, got \(baselineSeconds)") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1–64, got \(threads)") }
        if let serverPid, !FileManager.default.fileExists(atPath: "/proc/\(serverPid)/stat") {
            throw ValidationError("--server-pid \(serverPid): no such process")
        }
    }

    /// One viewer's outcome.
    struct Viewer {
        var peer: WebRTCClientPeer?
        var location: URL?
        var error: String?
        var windowStartBytes = 0
    }

    func run() async throws {
        guard let url, let endpoint = URL(string: url) else { throw ValidationError("expected a WHEP URL") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let clockTicks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // The server's own load before any viewer, so the viewers' share can be told apart.
        var baselineCPU: Double?
        if let serverPid, baselineSeconds > 0 {
            let a = ProcessSample(serverPid)
            let t0 = ContinuousClock.now
            try? await Task.sleep(for: .seconds(baselineSeconds))
            baselineCPU = Double(ProcessSample(serverPid).cpuTicks - a.cpuTicks) / clockTicks / (ContinuousClock.now - t0).seconds * 100
        }
        let ownStart = ProcessSample(getpid())
        let started = ContinuousClock.now

        // Start the viewers, spread over the ramp; each runs on its own until the end.
        let spacing = viewers > 1 ? rampSeconds / Double(viewers - 1) : 0
        var all = [Viewer](repeating: Viewer(), count: viewers)
        await withTaskGroup(of: (Int, Viewer).self) { tasks in
            for i in 0..<viewers {
                tasks.addTask {
                    try? await Task.sleep(until: started + .seconds(spacing * Double(i)), clock: .continuous)
                    return (i, await Self.connect(endpoint, group: group, token: token))
                }
            }
            for await (i, v) in tasks { all[i] = v }
        }
        let rampDone = ContinuousClock.now
        // Give the last ones a moment to finish the handshake before the window opens.
        _ = await waitForHandshakes(all, upTo: 10)
        for i in all.indices { all[i].windowStartBytes = all[i].peer?.stats.rtpBytes ?? 0 }
        let serverStart = serverPid.map { ProcessSample($0) }
        let waitStart = serverPid.map(Self.runQueueWait)
        let ownWindowStart = ProcessSample(getpid())
        let windowStart = ContinuousClock.now
        try? await Task.sleep(for: .seconds(seconds))
        let window = (ContinuousClock.now - windowStart).seconds
        let serverEnd = serverPid.map { ProcessSample($0) }
        let serverWaited = serverPid.flatMap { pid in waitStart.map { (Self.runQueueWait(pid) - $0) / window } }
        let ownEnd = ProcessSample(getpid())
        let final = all.map { $0.peer?.stats }

        // The end: DELETE every session, close every socket.
        await withTaskGroup(of: Void.self) { tasks in
            for v in all {
                tasks.addTask {
                    if let location = v.location {
                        var request = URLRequest(url: location)
                        request.httpMethod = "DELETE"
                        request.timeoutInterval = 5
                        _ = try? await URLSession.shared.data(for: request)
                    }
                    await v.peer?.close()
                }
            }
        }
        try? await group.shutdownGracefully()

        let report = Report(viewers: viewers, window: window, ramp: (rampDone - started).seconds, all: all, final: final,
                            serverCPU: serverStart.flatMap { a in serverEnd.map { Double($0.cpuTicks - a.cpuTicks) / clockTicks / window * 100 } },
                            serverRSS: serverEnd?.rssKiB, baselineCPU: baselineCPU, serverWaited: serverWaited,
                            clientCPU: Double(ownEnd.cpuTicks - ownWindowStart.cpuTicks) / clockTicks / window * 100,
                            clientCPUAll: Double(ownEnd.cpuTicks - ownStart.cpuTicks) / clockTicks / (ContinuousClock.now - started).seconds * 100)
        report.print(url: url, json: json)
        if report.connected == 0 { throw CommandFailure("no viewer connected (\(report.firstError ?? "no error recorded"))") }
    }

    /// Seconds all threads of `pid` spent runnable but not running (/proc/PID/task/*/schedstat,
    /// second field, ns); 0 where schedstats are unavailable.
    static func runQueueWait(_ pid: Int32) -> Double {
        let dir = "/proc/\(pid)/task"
        var total = 0.0
        for task in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            guard let text = try? String(contentsOfFile: "\(dir)/\(task)/schedstat", encoding: .utf8) else { continue }
            let fields = text.split(separator: " ")
            if fields.count > 1, let ns = Double(fields[1].trimmingCharacters(in: .whitespacesAndNewlines)) { total += ns / 1e9 }
        }
        return total
    }

    private func waitForHandshakes(_ all: [Viewer], upTo limit: Double) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(limit)
        while ContinuousClock.now < deadline {
            let pending = all.contains { v in
                guard let s = v.peer?.stats.state else { return false }
                return s == .checking || s == .handshaking || s == .idle
            }
            if !pending { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Binds a socket, POSTs the offer, starts the checks on the answer.
    static func connect(_ endpoint: URL, group: any EventLoopGroup, token: String?) async -> Viewer {
        var v = Viewer()
        do {
            let peer = try await WebRTCClientPeer.bind(group: group)
            v.peer = peer
            var request = URLRequest(url: endpoint)
            request.httpMethod = "POST"
            request.setValue("application/sdp", forHTTPHeaderField: "Content-Type")
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            request.httpBody = Data(peer.offer.utf8)
            request.timeoutInterval = 10
            peer.markPosted()
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            let body = String(decoding: data, as: UTF8.self)
            guard http?.statusCode == 201 else {
                v.error = "POST: HTTP \(http?.statusCode ?? 0) \(body.prefix(120).split(separator: "\n").first ?? "")"
                return v
            }
            if let location = http?.value(forHTTPHeaderField: "Location") { v.location = URL(string: location, relativeTo: endpoint) }
            try peer.start(answer: body)
        } catch {
            v.error = "\(error)"
        }
        return v
    }

    struct Report {
        var viewers: Int
        var window: Double
        var ramp: Double
        var connected = 0
        var failed = 0
        var receiving = 0
        var firstPacketMs: [Double] = []
        var firstKeyframeMs: [Double] = []
        var kbps: [Double] = []
        var lost = 0
        var expected = 0
        var packets = 0
        var keyframes = 0
        var serverCPU: Double?
        var serverRSS: Int?
        var baselineCPU: Double?
        /// Seconds per second the server's threads were runnable but waiting for a CPU (the
        /// machine's other load): when high, its CPU % is what it was given, not what it needed.
        var serverWaited: Double?
        var clientCPU: Double
        var clientCPUAll: Double
        var firstError: String?
        var errors: [String: Int] = [:]

        init(viewers: Int, window: Double, ramp: Double, all: [Viewer], final: [WebRTCClientStats?], serverCPU: Double?,
             serverRSS: Int?, baselineCPU: Double?, serverWaited: Double?, clientCPU: Double, clientCPUAll: Double) {
            self.viewers = viewers; self.window = window; self.ramp = ramp
            self.serverCPU = serverCPU; self.serverRSS = serverRSS; self.baselineCPU = baselineCPU; self.serverWaited = serverWaited; self.clientCPU = clientCPU; self.clientCPUAll = clientCPUAll
            for (v, s) in zip(all, final) {
                let error = v.error ?? s?.failure
                if let s, s.connectedAfter != nil, s.state != .failed {
                    connected += 1
                } else {
                    failed += 1
                    let e = error ?? "not connected (\(s?.state.rawValue ?? "no socket"))"
                    if firstError == nil { firstError = e }
                    errors[String(e.prefix(80)), default: 0] += 1
                }
                guard let s else { continue }
                if s.videoPackets > 0 { receiving += 1 }
                if let f = s.firstVideoPacketAfter { firstPacketMs.append(f * 1000) }
                if let f = s.firstKeyframeAfter { firstKeyframeMs.append(f * 1000) }
                if s.connectedAfter != nil { kbps.append(Double(s.rtpBytes - v.windowStartBytes) * 8 / 1000 / max(window, 0.001)) }
                lost += s.videoLost
                expected += s.videoExpected
                packets += s.rtpPackets
                keyframes += s.keyframes
            }
        }

        static func percentile(_ values: [Double], _ p: Double) -> Double? {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count - 1) * p).rounded())))]
        }

        var lossRatio: Double { expected > 0 ? Double(lost) / Double(expected) : 0 }
        var serverPerViewer: Double? { serverCPU.map { connected > 0 ? $0 / Double(connected) : 0 } }
        /// The server's CPU above its no-viewer baseline, per connected viewer.
        var addedPerViewer: Double? {
            guard let serverCPU, let baselineCPU, connected > 0 else { return nil }
            return (serverCPU - baselineCPU) / Double(connected)
        }

        func print(url: String, json: Bool) {
            func f(_ v: Double?, _ digits: Int = 0) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "-" }
            let p = Self.percentile
            Swift.print("bench whep \(url): \(viewers) viewers, started over \(f(ramp, 1)) s, measured \(f(window, 1)) s")
            Swift.print("  connected \(connected), failed \(failed), receiving video \(receiving)")
            for (e, n) in errors.sorted(by: { $0.value > $1.value }).prefix(3) { Swift.print("    \(n)× \(e)") }
            Swift.print("  first video packet after POST  p50 \(f(p(firstPacketMs, 0.5))) ms  p95 \(f(p(firstPacketMs, 0.95))) ms")
            Swift.print("  first keyframe after POST      p50 \(f(p(firstKeyframeMs, 0.5))) ms  p95 \(f(p(firstKeyframeMs, 0.95))) ms")
            Swift.print("  per-viewer receive kbit/s      p5 \(f(p(kbps, 0.05)))  p50 \(f(p(kbps, 0.5)))")
            Swift.print("  video packets lost \(lost) of \(expected) (\(f(lossRatio * 100, 3)) %), RTP packets \(packets), keyframes \(keyframes)")
            if let serverCPU {
                Swift.print("  server CPU \(f(serverCPU, 1)) % (of one core) = \(f(serverPerViewer, 3)) % per viewer, RSS \(serverRSS.map { "\($0 / 1024) MiB" } ?? "-")")
                if let serverWaited {
                    Swift.print("  server threads waiting for a CPU: \(f(serverWaited, 2)) s per s (run queue; > 0.1 means the machine starved it)")
                }
                if let baselineCPU {
                    Swift.print("  server CPU without viewers \(f(baselineCPU, 1)) %; added by the viewers \(f(serverCPU - baselineCPU, 1)) % = \(f(addedPerViewer, 3)) % per viewer")
                }
            } else {
                Swift.print("  server CPU: not sampled (pass --server-pid)")
            }
            Swift.print("  this client's CPU \(f(clientCPU, 1)) % during the window (\(f(clientCPUAll, 1)) % over the whole run; it shares the machine)")
            guard json else { return }
            let object: [String: Any?] = [
                "url": url, "viewers": viewers, "seconds": window, "connected": connected, "failed": failed,
                "receiving": receiving, "first_packet_ms_p50": p(firstPacketMs, 0.5), "first_packet_ms_p95": p(firstPacketMs, 0.95),
                "first_keyframe_ms_p50": p(firstKeyframeMs, 0.5), "first_keyframe_ms_p95": p(firstKeyframeMs, 0.95),
                "kbps_p5": p(kbps, 0.05), "kbps_p50": p(kbps, 0.5), "packets": packets, "keyframes": keyframes,
                "video_lost": lost, "video_expected": expected, "loss_ratio": lossRatio,
                "server_cpu_percent": serverCPU, "server_cpu_percent_per_viewer": serverPerViewer,
                "server_rss_kib": serverRSS, "server_run_queue_wait": serverWaited,
                "server_cpu_percent_baseline": baselineCPU, "server_cpu_percent_added_per_viewer": addedPerViewer, "client_cpu_percent": clientCPU,
            ]
            let clean = object.mapValues { $0 ?? NSNull() }
            if let data = try? JSONSerialization.data(withJSONObject: clean, options: [.sortedKeys]) {
                Swift.print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}

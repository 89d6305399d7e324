import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LatencyProbe

/// `sluice bench latency --player`: glass-to-glass latency in real players. Starts `sluice
/// serve`, `sluice push` (whose frames carry the pixel clock), and for each tier opens
/// /player/latency in headless Chromium (Tools/players/latency-play.py), which reads the clock
/// from every frame shown; `sluice probe` runs through the same minutes on the same rendition,
/// so the player's share of the delay is the difference of the two. The whip-hlsjs tier
/// publishes from the browser instead (/player/clock draws the clock into a canvas and sends it
/// over WHIP) and plays that stream with hls.js, to compare WHIP ingest with RTMP's.
struct BenchLatency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Glass-to-glass latency in real players (hls.js, native HLS, WebRTC) against `sluice probe`'s availability.",
        discussion: """
        Needs Chromium (/usr/bin/chromium) and python3; hls.js 1.6.15 is fetched once into \
        .build/players (pip). Tiers: hlsjs (Sluice's recommended hls.js settings, hls.js's ABR), \
        hlsjs-sluice-abr (/player as served: the same settings with Sluice's ABR controller), \
        hlsjs-default (hls.js's defaults), native (Chromium's own HLS), webrtc (/player/webrtc over \
        WHEP, the probed rendition; its first frame counts from the POST), whip-hlsjs (the clock drawn \
        into a canvas in Chromium, published over WHIP to the same server, its probed rendition played \
        with hls.js in the same browser; printed against hlsjs, which plays `sluice push`'s RTMP). \
        Latency is measured on the viewer's screen: the wall clock at which a frame is shown minus \
        the wall clock `sluice push` drew into it; everything runs on this machine, one clock.
        """
    )

    @Flag(help: "Real players in headless Chromium (the only mode).") var player = false
    @Flag(help: "End with one JSON object on the last line.") var json = false
    @Option(help: "Seconds each tier plays.") var seconds: Double = 60
    @Option(help: "Tiers to run, comma-separated: hlsjs, hlsjs-sluice-abr, hlsjs-default, native, webrtc, whip-hlsjs.") var tiers = "hlsjs,hlsjs-default,native"
    @Option(help: "Picture size of the published test pattern.") var source = "1920x1080"
    @Option(help: "Frames per second of the test pattern.") var fps = 30
    @Option(help: "Video bitrate of the source, kbit/s.") var sourceKbps = 6000
    /// ultrafast: the publisher stands for the camera or OBS, which is not on the server's cores
    /// in production; veryfast here took 77 % of a core of the 200 % (Docs/Benchmarks.md).
    @Option(help: "x264 preset of `sluice push` (the camera's side; it shares the cores with the server and Chromium here).") var pushPreset = "ultrafast"
    @Option(help: "Transcode ladder (default: the server's, 720p/480p/360p).") var ladder: String?
    @Option(help: "PART-TARGET, seconds (hls.partSeconds).") var partSeconds: Double = 0.25
    @Option(help: "PART-HOLD-BACK in parts (hls.partHoldBackParts).") var holdBackParts: Double = 3
    @Option(help: "Rendition `sluice probe` reads; the hls.js tiers play only this one unless --abr.") var probeRendition = "720p"
    @Flag(help: "Let hls.js's ABR choose the rendition instead of pinning the probed one.") var abr = false
    @Option(help: "JSON object of hls.js settings applied on top of the hlsjs tiers' (experiments), e.g. '{\"liveSyncDuration\":0.5}'.")
    var hlsjsConfig: String?
    @Option(help: "The page driver.") var playerScript = "Tools/players/latency-play.py"
    @Option(help: "whip-hlsjs: size of the canvas the clock is drawn into and published from.") var whipSize = "1280x720"

    static let knownTiers = ["hlsjs", "hlsjs-sluice-abr", "hlsjs-default", "native", "webrtc", "whip-hlsjs"]
    /// The WHEP page's driver (Tools/players/webrtc-play.py), next to the HLS one.
    var webrtcScript: String { (playerScript as NSString).deletingLastPathComponent + "/webrtc-play.py" }
    /// whip-hlsjs's driver: /player/clock publishing, /player/latency reading, one Chromium.
    var whipScript: String { (playerScript as NSString).deletingLastPathComponent + "/whip-latency-play.py" }
    /// The path the whip-hlsjs tier publishes to.
    static let whipPath = "live/g2gwhip"

    func validate() throws {
        guard player else { throw ValidationError("bench latency needs --player (real players in headless Chromium)") }
        guard seconds >= 5, seconds <= 3600 else { throw ValidationError("--seconds must be 5–3600, got \(seconds)") }
        let names = tierNames
        guard !names.isEmpty, names.allSatisfy(Self.knownTiers.contains) else {
            throw ValidationError("--tiers takes \(Self.knownTiers.joined(separator: ", ")), got \"\(tiers)\"")
        }
        guard (0.05...2).contains(partSeconds) else { throw ValidationError("--part-seconds must be 0.05–2, got \(partSeconds)") }
        guard (2...10).contains(holdBackParts) else { throw ValidationError("--hold-back-parts must be 2–10, got \(holdBackParts)") }
        if let hlsjsConfig {
            guard let data = hlsjsConfig.data(using: .utf8), (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                throw ValidationError("--hlsjs-config must be a JSON object, got \(hlsjsConfig)")
            }
        }
        guard (1...60).contains(fps) else { throw ValidationError("--fps must be 1–60, got \(fps)") }
        guard Push.presets.contains(pushPreset) else {
            throw ValidationError("--push-preset must be one of \(Push.presets.joined(separator: ", ")), got \(pushPreset)")
        }
        guard FileManager.default.isReadableFile(atPath: playerScript) else {
            throw ValidationError("\(playerScript) not found: run from the Sluice source tree or pass --player-script")
        }
        if names.contains("webrtc"), !FileManager.default.isReadableFile(atPath: webrtcScript) {
            throw ValidationError("\(webrtcScript) not found: run from the Sluice source tree")
        }
        if names.contains("whip-hlsjs") {
            guard FileManager.default.isReadableFile(atPath: whipScript) else {
                throw ValidationError("\(whipScript) not found: run from the Sluice source tree")
            }
            let wh = whipSize.split(separator: "x").compactMap { Int($0) }
            guard wh.count == 2, (64...3840).contains(wh[0]), (72...2160).contains(wh[1]) else {
                throw ValidationError("--whip-size must be WxH within 64x72–3840x2160, got \(whipSize)")
            }
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            throw ValidationError("--player needs Chromium (/usr/bin/chromium; Debian package chromium)")
        }
    }

    var tierNames: [String] { tiers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    /// What /player/latency reports (Sources/Origin/Player/latency.js).
    struct PageReport: Decodable {
        var supported: Bool?
        var errors: [String]?
        var fatal: String?
        var hlsVersion: String?
        var g2gMs: [Double]?
        var framesShown: Int?
        var framesRead: Int?
        var renditions: [String: Int]?
        var firstFrameMs: Double?
        var firstFrameAfterManifestMs: Double?
        /// hls.js tiers: clock → the part holding the frame loaded by hls.js; loaded → shown.
        var fetchedMs: [Double]?
        var heldMs: [Double]?
        /// Sampled every 500 ms while playing: hls.js's latency and the forward buffer (s).
        var hlsLatency: [Double]?
        var forwardBuffer: [Double]?
        var stalls: Int?
        var stallSeconds: Double?
        var freezes: Int?
        var targetLatency: Double?
        /// How the page read the clock: "luma" (VideoFrame) or "canvas".
        var reader: String?
        /// hls.js's bufferStalledError events (each adds liveSyncOnStallIncrease to its target).
        var hlsStallErrors: Int?
        var error: String?
        // /player/webrtc (Sources/Server/WebRTC/webrtc.html)
        var firstFrameAfterPostMs: Double?
        var firstFrameSteps: FirstFrameSteps?
        var heights: [String: Int]?
        /// Clock → the frame's last packet received by Chromium, per frame; and Chromium's per-frame averages.
        var receivedMs: [Double]?
        var jitterBufferMs: Double?
        var decodeMs: Double?
        var processingMs: Double?
        // whip-hlsjs: /player/clock, the publisher (Sources/Server/WebRTC/clock.html)
        var publisher: Publisher?
    }

    /// webrtc: ms after the WHEP POST at which the answer came back, ICE and DTLS connected, and
    /// the first frame's last packet arrived (it was shown at `firstFrameAfterPostMs`).
    struct FirstFrameSteps: Codable {
        var answerMs: Double?
        var iceConnectedMs: Double?
        var dtlsConnectedMs: Double?
        var receivedMs: Double?
    }

    struct Publisher: Decodable {
        var fatal: String?
        var framesEncoded: Int?
        var sentWidth: Int?
        var sentHeight: Int?
        var encoderImplementation: String?
        var qualityLimitationReason: String?
        var bytesSent: Int?
    }

    struct Percentiles: Encodable {
        var p50: Double
        var p95: Double
        var p99: Double
    }

    struct Tier: Encodable {
        var name: String
        var g2gMs: Percentiles?
        var firstFrameMs: Double?
        var firstFrameAfterManifestMs: Double?
        var stalls: Int?
        var stallSeconds: Double?
        var freezes: Int?
        var frames: Int
        var renditions: [String: Int]
        var hlsjsTargetLatencyS: Double?
        /// hls.js tiers: g2g split at the moment hls.js had the frame's part (clock → loaded,
        /// loaded → shown), and the medians of hls.js's latency and forward buffer (s).
        var fetchedMs: Percentiles?
        var heldMs: Percentiles?
        var hlsjsLatencyP50S: Double?
        var forwardBufferP50S: Double?
        /// Mean ms from ingest to each server stage on the probed rendition while this tier
        /// played (`/metrics`: decoded is the source's, encoded and published the rendition's).
        var serverStagesMs: [String: Double]?
        /// The same stages' p95, from the histogram's buckets (as fine as those: 10–50 ms).
        var serverStagesP95Ms: [String: Double]?
        /// webrtc: the clock → the frame received by Chromium (the sender's share of g2g), and
        /// Chromium's average jitter-buffer wait, decode time and receive → decoded per frame.
        var receivedMs: Percentiles?
        var jitterBufferMs: Double?
        var decodeMs: Double?
        var processingMs: Double?
        var firstFrameSteps: FirstFrameSteps?
        /// whip-hlsjs: what the browser sent ("1280x720 OpenH264, 1790 frames encoded").
        var publisher: String?
        /// How /player/latency read the clock: "luma" (VideoFrame.copyTo) or "canvas".
        var clockReader: String?
        /// hls.js tiers: stalls hls.js itself counted (its target latency grows by 1 s each, at
        /// most one target duration, with its default liveSyncOnStallIncrease), and the first one's
        /// time after the first frame (ms; -1: before it).
        var hlsjsStallErrors: Int?
        var hlsjsFirstStallMs: Double?
        /// nil when it played; else why not ("unsupported: …").
        var status: String?
        enum CodingKeys: String, CodingKey {
            case name, stalls, freezes, frames, renditions, status, publisher, clockReader = "clock_reader"
            case hlsjsStallErrors = "hlsjs_stall_errors", hlsjsFirstStallMs = "hlsjs_first_stall_ms"
            case receivedMs = "received_ms", jitterBufferMs = "jitter_buffer_ms", decodeMs = "decode_ms", processingMs = "processing_ms"
            case g2gMs = "g2g_ms", firstFrameMs = "first_frame_ms", firstFrameAfterManifestMs = "first_frame_after_manifest_ms"
            case stallSeconds = "stall_seconds", hlsjsTargetLatencyS = "hlsjs_target_latency_s"
            case firstFrameSteps = "first_frame_steps"
            case fetchedMs = "fetched_ms", heldMs = "held_ms", hlsjsLatencyP50S = "hlsjs_latency_p50_s"
            case forwardBufferP50S = "forward_buffer_p50_s", serverStagesMs = "server_stages_ms"
            case serverStagesP95Ms = "server_stages_p95_ms"
        }
    }

    struct Report: Encodable {
        var tiers: [Tier]
        var probe: LatencyReport?
        /// whip-hlsjs − hlsjs: what WHIP ingest adds over RTMP on the same LL-HLS path.
        var whipMinusRTMPMs: Percentiles?
        var partSeconds: Double
        var holdBackParts: Double
        var seconds: Double
        var source: String
        var hlsjsConfig: String?
        enum CodingKeys: String, CodingKey {
            case tiers, probe, seconds, source
            case partSeconds = "part_seconds", holdBackParts = "hold_back_parts", hlsjsConfig = "hlsjs_config"
            case whipMinusRTMPMs = "whip_minus_rtmp_ms"
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        typealias Child = ABRPlayerBench.Child
        let sluice = ABRPlayerBench.executable()
        let (rtmp, http) = (try ABRPlayerBench.freePort(), try ABRPlayerBench.freePort())
        var serve = ["serve", "--host", "127.0.0.1", "--rtmp-port", "\(rtmp)", "--srt-port", "0", "--http-port", "\(http)",
                     "--log-level", "warning"]
        if let ladder { serve += ["--ladder", ladder] }
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_HLS_PART_SECONDS"] = "\(partSeconds)"
        environment["SLUICE_HLS_PART_HOLD_BACK_PARTS"] = "\(holdBackParts)"
        environment["SLUICE_WEBRTC_PORT"] = "0" // any free UDP port: benches may run side by side
        let server = try Child(sluice, serve, environment: environment)
        defer { server.stop() }
        guard await ABRPlayerBench.accepts(port: rtmp, within: 20) else { throw Failure(description: "sluice serve did not start: \(server.errors)") }
        let names = tierNames
        let total = Double(names.count) * (seconds + 25) + 60
        let push = try Child(sluice, ["push", "rtmp://127.0.0.1:\(rtmp)/live/g2g", "--size", source, "--fps", "\(fps)",
                                      "--kbps", "\(sourceKbps)", "--preset", pushPreset, "--duration", "\(Int(total))"])
        defer { push.stop() }
        let base = "http://127.0.0.1:\(http)"
        let master = "\(base)/live/g2g/index.m3u8"
        try await waitForRendition(master, server: server, push: push)
        log("\(source)@\(fps) pushed (x264 \(pushPreset)), part target \(partSeconds) s, hold-back \(holdBackParts) parts; \(Int(seconds)) s per tier")

        // The probe reads the same minutes the players watch.
        let probe = try Child(sluice, ["probe", master, "--rendition", probeRendition, "--duration", "\(Int(Double(names.count) * (seconds + 15)))", "--json"])
        defer { probe.stop() }
        var results: [Tier] = []
        for name in names {
            log("playing \(name) …")
            let before = await stages(base)
            var tier = try await play(name, base: base, master: master)
            if let before, let after = await stages(base) {
                tier.serverStagesMs = before.meansMs(until: after)
                tier.serverStagesP95Ms = before.quantileMs(0.95, until: after)
            }
            results.append(tier)
        }
        let probeStatus = await probe.wait(seconds: 60)
        var probeReport: LatencyReport?
        if probeStatus == 0, let line = probe.output.split(separator: "\n").last {
            probeReport = try? JSONDecoder().decode(LatencyReport.self, from: Data(line.utf8))
        }
        if probeReport == nil { log("sluice probe reported nothing (\(probeStatus)): \(probe.errors)") }
        var report = Report(tiers: results, probe: probeReport, partSeconds: partSeconds, holdBackParts: holdBackParts,
                            seconds: seconds, source: "\(source)@\(fps) x264 \(pushPreset)", hlsjsConfig: hlsjsConfig)
        if let whip = results.first(where: { $0.name == "whip-hlsjs" })?.g2gMs, let rtmp = results.first(where: { $0.name == "hlsjs" })?.g2gMs {
            report.whipMinusRTMPMs = Percentiles(p50: whip.p50 - rtmp.p50, p95: whip.p95 - rtmp.p95, p99: whip.p99 - rtmp.p99)
        }
        printTable(report)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }

    private func play(_ name: String, base: String, master: String) async throws -> Tier {
        // hlsjs: the recommended settings with hls.js's own ABR; hlsjs-sluice-abr: /player as
        // served (the same settings, Sluice's ABR controller, which owns the playback rate).
        let (mode, abr) = name == "hlsjs-sluice-abr" ? ("hlsjs", "sluice") : (name, "default")
        var args = [playerScript, "--server", base, "--src", master, "--mode", mode, "--abr", abr, "--seconds", "\(seconds)"]
        if let hlsjsConfig, mode == "hlsjs" { args += ["--config", hlsjsConfig] }
        if !self.abr, mode != "native", let height = Int(probeRendition.dropLast(probeRendition.hasSuffix("p") ? 1 : 0)) {
            args += ["--level", "\(height)"]
        }
        if name == "webrtc" {
            // The same stream over WHEP, the rendition the probe reads (the ladder's encode, no per-viewer one).
            args = [webrtcScript, "--server", base, "--page", "webrtc", "--src", "/whep/live/g2g/\(probeRendition)", "--seconds", "\(seconds)"]
        }
        if name == "whip-hlsjs" {
            // Chromium publishes the clock over WHIP; hls.js (the hlsjs tier's settings) plays the
            // probed rendition of that stream, as the hlsjs tier plays `sluice push`'s.
            args = [whipScript, "--server", base, "--dst", "/whip/\(Self.whipPath)", "--src", "\(base)/\(Self.whipPath)/\(probeRendition)/index.m3u8",
                    "--mode", "hlsjs", "--abr", "default", "--seconds", "\(seconds)", "--size", whipSize, "--fps", "\(fps)"]
            if let hlsjsConfig { args += ["--config", hlsjsConfig] }
        }
        let player = try ABRPlayerBench.Child("/usr/bin/python3", args)
        defer { player.stop() }
        let status = await player.wait(seconds: seconds + 240)
        guard let line = player.output.split(separator: "\n").last,
              let page = try? JSONDecoder().decode(PageReport.self, from: Data(line.utf8)) else {
            throw Failure(description: "the \(name) player failed (\(status)): \(player.output) \(player.errors)")
        }
        var tier = Tier(name: name, frames: page.framesRead ?? 0, renditions: page.renditions ?? page.heights ?? [:])
        tier.firstFrameMs = page.firstFrameMs ?? page.firstFrameAfterPostMs
        tier.firstFrameAfterManifestMs = page.firstFrameAfterManifestMs
        tier.firstFrameSteps = page.firstFrameSteps
        tier.stalls = page.stalls ?? (name == "webrtc" ? page.freezes : nil) // WebRTC: a frame shown > 300 ms after the last
        tier.stallSeconds = page.stallSeconds
        tier.freezes = page.freezes
        tier.hlsjsTargetLatencyS = page.targetLatency
        tier.clockReader = page.reader
        tier.hlsjsStallErrors = page.hlsStallErrors
        if let first = page.errors?.first(where: { $0.contains("bufferStalledError") }),
           let at = first.split(separator: "@").last.flatMap({ Double($0.replacingOccurrences(of: "ms", with: "")) }) {
            tier.hlsjsFirstStallMs = at
        }
        if let f = page.fetchedMs.flatMap({ LatencyReport($0) }), let h = page.heldMs.flatMap({ LatencyReport($0) }) {
            tier.fetchedMs = Percentiles(p50: f.p50Ms, p95: f.p95Ms, p99: f.p99Ms)
            tier.heldMs = Percentiles(p50: h.p50Ms, p95: h.p95Ms, p99: h.p99Ms)
        }
        tier.hlsjsLatencyP50S = Self.median(page.hlsLatency)
        tier.forwardBufferP50S = Self.median(page.forwardBuffer)
        if let samples = page.receivedMs, let r = LatencyReport(samples) {
            tier.receivedMs = Percentiles(p50: r.p50Ms, p95: r.p95Ms, p99: r.p99Ms)
        }
        (tier.jitterBufferMs, tier.decodeMs, tier.processingMs) = (page.jitterBufferMs, page.decodeMs, page.processingMs)
        if let p = page.publisher {
            tier.publisher = "\(p.sentWidth.map(String.init) ?? "?")x\(p.sentHeight.map(String.init) ?? "?") \(p.encoderImplementation ?? "?"), "
                + "\(p.framesEncoded ?? 0) frames encoded" + (p.qualityLimitationReason.map { $0 == "none" ? "" : ", limited by \($0)" } ?? "")
        }
        if let samples = page.g2gMs, let r = LatencyReport(samples) {
            tier.g2gMs = Percentiles(p50: r.p50Ms, p95: r.p95Ms, p99: r.p99Ms)
        } else {
            let why = page.error ?? page.fatal ?? page.errors?.first ?? "no frame showed a readable clock"
            tier.status = (page.supported == false ? "unsupported: " : "no frames: ") + why
            tier.stalls = nil
        }
        return tier
    }

    static func median(_ values: [Double]?) -> Double? {
        guard let values, !values.isEmpty else { return nil }
        return values.sorted()[values.count / 2]
    }

    /// The server's stage sums for the probed rendition (nil if /metrics is off or unreachable).
    private func stages(_ base: String) async -> StageLatencyMeans? {
        guard let url = URL(string: "\(base)/metrics"), let (data, response) = try? await URLSession.shared.data(from: url),
              (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        var s = StageLatencyMeans(metrics: text, path: "live/g2g", rendition: probeRendition)
        // The source is decoded once; that stage is labelled with the source rendition.
        let source = StageLatencyMeans(metrics: text, path: "live/g2g", rendition: "source")
        if let decoded = source.totals["decoded"] { s.totals["decoded"] = decoded }
        if let decoded = source.buckets["decoded"] { s.buckets["decoded"] = decoded }
        return s
    }

    /// With --json only the JSON object goes to stdout.
    private func say(_ line: String) {
        if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
    }

    private func printTable(_ r: Report) {
        func ms(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "n/a" }
        func col(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count + 1), withPad: " ", startingAt: 0) }
        say("glass-to-glass (ms): frame shown in headless Chromium − wall clock drawn by `sluice push`; \(r.source), "
            + "part target \(r.partSeconds) s, PART-HOLD-BACK \(r.holdBackParts) parts, \(Int(r.seconds)) s per tier"
            + (r.hlsjsConfig.map { ", hls.js settings on top: \($0)" } ?? ""))
        say(col("tier", 15) + col("p50", 7) + col("p95", 7) + col("p99", 7) + col("first frame", 13) + col("stalls", 8)
            + col("freezes", 9) + col("shown", 14) + "vs probe p50")
        for t in r.tiers {
            guard let g = t.g2gMs else {
                say(col(t.name, 15) + (t.status ?? "n/a"))
                continue
            }
            let shown = t.renditions.sorted { $0.value > $1.value }.prefix(2).map { "\($0.key)p:\($0.value)" }.joined(separator: " ")
            // The probe reads `sluice push`'s stream; whip-hlsjs plays another one.
            let ratio = t.name == "whip-hlsjs" ? "n/a (another stream)"
                : r.probe.map { String(format: "%.1f× (+%.0f ms)", g.p50 / $0.p50Ms, g.p50 - $0.p50Ms) } ?? "n/a"
            say(col(t.name, 15) + col(ms(g.p50), 7) + col(ms(g.p95), 7) + col(ms(g.p99), 7)
                + col(ms(t.firstFrameMs) + (t.firstFrameAfterManifestMs.map { " (\(ms($0)))" } ?? ""), 13)
                + col("\(t.stalls ?? 0)", 8) + col("\(t.freezes ?? 0)", 9) + col(shown, 14) + ratio)
            if let f = t.fetchedMs, let h = t.heldMs {
                say(col("  fetched", 15) + col(ms(f.p50), 7) + col(ms(f.p95), 7) + col(ms(f.p99), 7)
                    + "clock → the frame's part loaded by hls.js")
                say(col("  held", 15) + col(ms(h.p50), 7) + col(ms(h.p95), 7) + col(ms(h.p99), 7)
                    + "part loaded → frame shown" + (t.hlsjsLatencyP50S.map { String(format: "; hls.latency p50 %.2f s", $0) } ?? "")
                    + (t.forwardBufferP50S.map { String(format: ", forward buffer p50 %.2f s", $0) } ?? "")
                    + (t.hlsjsTargetLatencyS.map { String(format: ", target %.2f s at the end", $0) } ?? "")
                    + (t.hlsjsStallErrors.map { "; hls.js counted \($0) stalls" } ?? "")
                    + (t.hlsjsFirstStallMs.map { String(format: ", the first %.0f ms after the first frame", $0) } ?? ""))
            }
            if let st = t.serverStagesMs, !st.isEmpty {
                let order = ["decoded", "encoded", "published"]
                say(col("  server", 15) + "mean ms after ingest: "
                    + order.compactMap { k in st[k].map { "\(k) \(ms($0))" } }.joined(separator: ", ")
                    + " (\(probeRendition); published: the part's first frame)")
            }
            if let st = t.serverStagesP95Ms, !st.isEmpty {
                let order = ["decoded", "encoded", "published"]
                say(col("", 15) + "p95 ms after ingest:  "
                    + order.compactMap { k in st[k].map { "\(k) \(ms($0))" } }.joined(separator: ", ")
                    + " (from /metrics buckets)")
            }
            if let rx = t.receivedMs {
                say(col("  received", 15) + col(ms(rx.p50), 7) + col(ms(rx.p95), 7) + col(ms(rx.p99), 7)
                    + "clock → last packet in Chromium; per frame in Chromium: jitter buffer \(ms(t.jitterBufferMs)), "
                    + "decode \(ms(t.decodeMs)), received → decoded \(ms(t.processingMs)) ms")
            }
            if let f = t.firstFrameSteps {
                say(col("  first frame", 15) + "after the POST: answer \(ms(f.answerMs)), ICE connected \(ms(f.iceConnectedMs)), "
                    + "DTLS connected \(ms(f.dtlsConnectedMs)), last packet in \(ms(f.receivedMs)), shown \(ms(t.firstFrameMs)) ms")
            }
        }
        if let p = r.probe {
            say(col("sluice probe", 15) + col(ms(p.p50Ms), 7) + col(ms(p.p95Ms), 7) + col(ms(p.p99Ms), 7)
                + "stamp → part available, \(probeRendition), \(p.count) frames")
        } else {
            say(col("sluice probe", 15) + "no report")
        }
        say("first frame: ms from page load (in brackets: from the multivariant playlist loaded); webrtc: from the WHEP POST")
        if let t = r.tiers.first(where: { $0.name == "whip-hlsjs" }) {
            say("whip-hlsjs: Chromium draws the clock into a \(whipSize) canvas and publishes it over WHIP (sent: \(t.publisher ?? "n/a")); "
                + "hls.js plays /\(Self.whipPath)/\(probeRendition)")
        }
        if let d = r.whipMinusRTMPMs {
            say(String(format: "WHIP → LL-HLS minus RTMP → LL-HLS (whip-hlsjs − hlsjs): p50 %+.0f ms, p95 %+.0f ms, p99 %+.0f ms", d.p50, d.p95, d.p99))
        }
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data(("bench latency: " + line + "\n").utf8))
    }

    /// Waits until the probed rendition is listed and has a few seconds of parts.
    private func waitForRendition(_ master: String, server: ABRPlayerBench.Child, push: ABRPlayerBench.Child) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            guard server.isRunning else { throw Failure(description: "sluice serve exited: \(server.errors)") }
            guard push.isRunning else { throw Failure(description: "sluice push exited: \(push.errors)") }
            if let url = URL(string: master), let (data, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 200,
               String(decoding: data, as: UTF8.self).contains("NAME=\"\(probeRendition)\"") {
                try await Task.sleep(for: .seconds(4))
                return
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw Failure(description: "\(master) did not list \(probeRendition) within 60 s")
    }
}

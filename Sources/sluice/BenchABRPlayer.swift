import ArgumentParser
import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import HLS
#if !SLUICE_TSAN
import Synchronization
#endif

/// `sluice bench abr --player --trace FILE`: real hls.js in headless Chromium plays a live Sluice
/// ladder through a shaped link, once with hls.js's own ABR and once with Sluice's controller
/// (/player/sluice-abr.js), each with the trace from its start; prints both and the ratio.
///
/// Everything is a real process: `sluice serve` with a ladder, `sluice push` publishing a test
/// pattern, `sluice shape --trace` between the player and the origin (the controller script is
/// fetched unshaped), Tools/players/hlsjs-play.py driving Chromium.
struct ABRPlayerBench {
    /// `bench abr`'s options for this mode (an option group, so `BenchABR.swift` only forwards).
    struct Options: ParsableArguments {
        @Flag(help: "Real players instead of the simulator: hls.js in headless Chromium, its own ABR against Sluice's controller, through `sluice shape --trace`.")
        var player = false
        @Option(help: "--player: capacity trace for the player's downlink ('time_s Mbps' lines, Mahimahi or JSON; see `sluice shape`).")
        var trace: String?
        @Option(help: "--player: seconds each player plays.") var seconds: Double = 60
        @Option(help: "--player: transcode ladder of the live stream.") var ladder = "360p:500k,240p:250k,144p:100k"
        @Option(help: "--player: picture size of the published test pattern (the source rendition).") var source = "640x360"
        @Option(help: "--player: video bitrate of the source, kbit/s.") var sourceKbps = 1600
        @Option(help: "--player: hls.js maxLiveSyncPlaybackRate on the default side (1 = hls.js's default, no catch-up).")
        var defaultCatchUp: Double = 1
        @Option(help: "--player: the player harness.") var playerScript = "Tools/players/hlsjs-play.py"
        @Option(help: "--player: write each side's whole page report (switch log, latency samples, the controller's decision log) to DIR/hlsjs.json and DIR/sluice.json.")
        var reports: String?

        /// Runs the async bench from `bench abr`'s synchronous `run()`: the command runs on the
        /// main thread, the bench on the cooperative pool.
        func runBlocking(json: Bool) throws {
            guard let trace else { throw ValidationError("--player needs --trace FILE") }
            let bench = ABRPlayerBench(trace: trace, seconds: seconds, ladder: ladder, source: source, sourceKbps: sourceKbps,
                                       defaultCatchUp: defaultCatchUp, playerScript: playerScript, json: json,
                                       reports: reports)
            try bench.validate()
            let done = DispatchSemaphore(value: 0)
            let outcome = Mutex<Result<Void, any Error>>(.success(()))
            Task.detached {
                do { try await bench.run() } catch { outcome.withLock { $0 = .failure(error) } }
                done.signal()
            }
            done.wait()
            try outcome.withLock { $0 }.get()
        }
    }

    var trace: String
    var seconds: Double
    var ladder: String
    var source: String
    var sourceKbps: Int
    /// hls.js's maxLiveSyncPlaybackRate on the default side (1: hls.js's default, no catch-up).
    var defaultCatchUp: Double
    var playerScript: String
    var json: Bool
    var reports: String?

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// What the page reports (Tools/players/page.html), the figures compared.
    struct Side: Codable {
        var abr: String
        var meanBitrate: Double?
        var stalls: Int
        var stallSeconds: Double
        var meanLatency: Double?
        var switches: Int
        var downSwitches: Int
        var fatal: String?
        var errors: [String]
        var levels: [Level]
        struct Level: Codable { var bitrate: Int }
    }

    struct Report: Encodable {
        var trace: String
        var seconds: Double
        var ladderKbps: [Int]
        var hlsjs: Figures
        var sluice: Figures
        struct Figures: Encodable {
            var bitrateKbps: Double
            var stalls: Int
            var stallSeconds: Double
            var latencySeconds: Double?
            var switches: Int
            var downSwitches: Int
            enum CodingKeys: String, CodingKey {
                case stalls, switches
                case bitrateKbps = "bitrate_kbps", stallSeconds = "stall_seconds", latencySeconds = "latency_s"
                case downSwitches = "down_switches"
            }
        }
        enum CodingKeys: String, CodingKey {
            case trace, seconds, hlsjs, sluice
            case ladderKbps = "ladder_kbps"
        }
    }

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: trace) else { throw ValidationError("--trace \(trace): no such readable file") }
        guard seconds >= 5, seconds <= 3600 else { throw ValidationError("--seconds must be 5–3600 for --player, got \(seconds)") }
        if let reports {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: reports, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--reports \(reports): no such folder")
            }
        }
        guard FileManager.default.isReadableFile(atPath: playerScript) else {
            throw ValidationError("\(playerScript) not found: run from the Sluice source tree or pass --player-script")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            throw ValidationError("--player needs Chromium (/usr/bin/chromium; Debian package chromium)")
        }
    }

    func run() async throws {
        let sluice = Self.executable()
        let (rtmp, http) = (try Self.freePort(), try Self.freePort())
        let server = try Child(sluice, ["serve", "--host", "127.0.0.1", "--rtmp-port", "\(rtmp)", "--srt-port", "0",
                                        "--http-port", "\(http)", "--ladder", ladder, "--log-level", "warning"])
        defer { server.stop() }
        guard await Self.accepts(port: rtmp, within: 20) else { throw Failure(description: "sluice serve did not start: \(server.errors)") }
        let push = try Child(sluice, ["push", "rtmp://127.0.0.1:\(rtmp)/live/abr", "--size", source, "--fps", "25",
                                      "--kbps", "\(sourceKbps)", "--duration", "\(Int(seconds * 2 + 120))"])
        defer { push.stop() }
        let master = "http://127.0.0.1:\(http)/live/abr/index.m3u8"
        let levels = try await waitForLadder(master, server: server, push: push)
        log("ladder \(levels.map { "\($0 / 1000)k" }.joined(separator: ", ")) at \(master); trace \(trace), \(Int(seconds)) s per side")

        let hlsjs = try await play(sluice: sluice, http: http, controller: nil, name: "hlsjs")
        let ours = try await play(sluice: sluice, http: http, controller: "http://127.0.0.1:\(http)/player/sluice-abr.js", name: "sluice")
        let report = Report(trace: trace, seconds: seconds, ladderKbps: levels.map { $0 / 1000 },
                            hlsjs: Self.figures(hlsjs), sluice: Self.figures(ours))
        printTable(report)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }

    /// One player run behind a fresh shaper, so each side gets the trace from its first second.
    private func play(sluice: String, http: Int, controller: String?, name: String) async throws -> Side {
        let shaped = try Self.freePort()
        let shape = try Child(sluice, ["shape", "--listen", "127.0.0.1:\(shaped)", "--to", "127.0.0.1:\(http)", "--trace", trace,
                                       "--direction", "down", "--duration", "\(Int(seconds + 90))"])
        defer { shape.stop() }
        guard await Self.accepts(port: shaped, within: 10) else {
            throw Failure(description: "sluice shape did not listen on \(shaped): \(shape.errors)")
        }
        var args = [playerScript, "--url", "http://127.0.0.1:\(shaped)/live/abr/index.m3u8", "--seconds", "\(seconds)"]
        if let controller { args += ["--abr", controller] } else { args += ["--catch-up", "\(defaultCatchUp)"] }
        log("playing with \(controller == nil ? "hls.js's ABR" : "Sluice's controller") …")
        let player = try Child("/usr/bin/python3", args)
        defer { player.stop() }
        let status = await player.wait(seconds: seconds + 200)
        guard status == 0, let line = player.output.split(separator: "\n").last else {
            throw Failure(description: "the player failed (\(status)): \(player.output) \(player.errors)")
        }
        if let reports {
            let file = (reports as NSString).appendingPathComponent("\(name).json")
            guard FileManager.default.createFile(atPath: file, contents: Data(line.utf8)) else {
                throw Failure(description: "cannot write \(file)")
            }
        }
        let side = try JSONDecoder().decode(Side.self, from: Data(line.utf8))
        if let fatal = side.fatal { throw Failure(description: "hls.js fatal error \(fatal): \(side.errors)") }
        return side
    }

    static func figures(_ s: Side) -> Report.Figures {
        Report.Figures(bitrateKbps: (s.meanBitrate ?? 0) / 1000, stalls: s.stalls, stallSeconds: s.stallSeconds,
                       latencySeconds: s.meanLatency, switches: s.switches, downSwitches: s.downSwitches)
    }

    /// With --json only the JSON object goes to stdout, as in `bench abr`'s other modes.
    private func say(_ line: String) {
        if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
    }

    private func printTable(_ r: Report) {
        func f(_ v: Double?, _ digits: Int = 2) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "n/a" }
        func ratio(_ a: Double?, _ b: Double?) -> String {
            guard let a, let b, a != 0 else { return b == 0 && a == 0 ? "1.00" : "n/a" }
            return String(format: "%.2f", b / a)
        }
        let rows: [(String, Double?, Double?, Int)] = [
            ("mean bitrate (kbit/s)", r.hlsjs.bitrateKbps, r.sluice.bitrateKbps, 0),
            ("stalls", Double(r.hlsjs.stalls), Double(r.sluice.stalls), 0),
            ("stall seconds", r.hlsjs.stallSeconds, r.sluice.stallSeconds, 2),
            ("mean latency (s)", r.hlsjs.latencySeconds, r.sluice.latencySeconds, 2),
            ("switches", Double(r.hlsjs.switches), Double(r.sluice.switches), 0),
            ("down-switches", Double(r.hlsjs.downSwitches), Double(r.sluice.downSwitches), 0),
        ]
        say("hls.js 1.6.15 in Chromium, \(Int(r.seconds)) s each, trace \(r.trace), ladder \(r.ladderKbps) kbit/s")
        say("metric".padding(toLength: 24, withPad: " ", startingAt: 0) + "hls.js ABR".padding(toLength: 14, withPad: " ", startingAt: 0)
            + "Sluice ABR".padding(toLength: 14, withPad: " ", startingAt: 0) + "ratio (Sluice/hls.js)")
        for (name, a, b, digits) in rows {
            say(name.padding(toLength: 24, withPad: " ", startingAt: 0) + f(a, digits).padding(toLength: 14, withPad: " ", startingAt: 0)
                + f(b, digits).padding(toLength: 14, withPad: " ", startingAt: 0) + ratio(a, b))
        }
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data(("bench abr --player: " + line + "\n").utf8))
    }

    /// Bitrates of the ladder once every rendition is listed (source + rungs), lowest first.
    private func waitForLadder(_ master: String, server: Child, push: Child) async throws -> [Int] {
        let want = ladder.split(separator: ",").count + 1
        let deadline = Date().addingTimeInterval(60)
        var last: [Int] = []
        while Date() < deadline {
            guard server.isRunning else { throw Failure(description: "sluice serve exited: \(server.errors)") }
            guard push.isRunning else { throw Failure(description: "sluice push exited: \(push.errors)") }
            if let url = URL(string: master), let (data, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 200,
               let variants = try? PlaylistReader.multivariant(String(decoding: data, as: UTF8.self)) {
                last = variants.map(\.bandwidth).sorted()
                // Every rendition listed, and a few seconds of parts behind the live edge.
                if last.count >= want {
                    try await Task.sleep(for: .seconds(4))
                    return last
                }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw Failure(description: "\(master) did not list \(want) renditions within 60 s (got \(last.count))")
    }

    /// This executable, to run `serve`, `push` and `shape` as separate processes.
    static func executable() -> String {
        let arg0 = CommandLine.arguments[0]
        if arg0.contains("/") { return URL(fileURLWithPath: arg0).standardizedFileURL.path }
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arg0
    }

    /// A TCP port free a moment ago (the child binds it right after).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket(): errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "bind(127.0.0.1:0): errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP on 127.0.0.1:`port` within `seconds`.
    static func accepts(port: Int, within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let ok = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if ok { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// A child process with its output in temp files; SIGKILLed by `stop()` (a child of a Swift
    /// thread inherits its blocked signals, so SIGTERM could stay pending).
    final class Child {
        let process = Process()
        let out: URL
        let err: URL

        init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
            let id = UUID().uuidString
            out = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-abr-\(id).out")
            err = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-abr-\(id).err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            if let environment { process.environment = environment }
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            process.standardInput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                throw Failure(description: "cannot run \(executable): \(error.localizedDescription)")
            }
        }

        var isRunning: Bool { process.isRunning }
        var output: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var errors: String { String(((try? String(contentsOf: err, encoding: .utf8)) ?? "").suffix(2000)) }

        func wait(seconds: Double) async -> Int32 {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(100)) }
            if process.isRunning { stop() }
            process.waitUntilExit()
            return process.terminationStatus
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        deinit {
            stop()
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
    }
}

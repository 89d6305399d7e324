import Foundation

/// A real player as a test client: Tools/players/hlsjs-play.py runs hls.js 1.6.15 (or
/// Chromium's native player) in headless Chromium against an HLS URL and reports what happened.
public enum Player {
    public enum Mode: String, Sendable { case hlsjs, native }

    public struct Report: Decodable, Sendable {
        public struct Level: Decodable, Sendable { public var width: Int; public var height: Int; public var bitrate: Int }
        public struct Latency: Decodable, Sendable { public var min: Double; public var p50: Double; public var max: Double }
        public var errors: [String]
        public var fatal: String?
        public var levels: [Level]
        public var levelsSwitched: [Int]
        public var partsLoaded: Int
        public var fragsLoaded: Int
        public var playlistLoads: Int
        public var blockingReloads: Int
        public var currentTime: Double
        public var decodedFrames: Int?
        public var lowLatencyMode: Bool?
        public var version: String?
        public var latency: Latency?
        /// "controller" when an ABR controller module was loaded (`abr:`), else "default".
        public var abr: String?
        public var stalls: Int?
        public var stallSeconds: Double?
        public var switches: Int?
        public var downSwitches: Int?
        /// Mean bitrate of the level that played, bit/s.
        public var meanBitrate: Double?

        public var summary: String {
            "levels \(levels.map { "\($0.height)p@\($0.bitrate / 1000)k" }), switched \(levelsSwitched), parts \(partsLoaded), "
                + "blocking reloads \(blockingReloads), frames \(decodedFrames ?? 0), currentTime \(currentTime), "
                + "latency \(latency.map { "p50 \($0.p50) s" } ?? "n/a"), stalls \(stalls ?? 0) (\(stallSeconds ?? 0) s), "
                + "down-switches \(downSwitches ?? 0), mean bitrate \(Int((meanBitrate ?? 0) / 1000))k, errors \(errors)"
        }
    }

    public static let isAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Plays `url` for `seconds`; with `switchAt`, switches to the next rendition then; with
    /// `abr`, hls.js runs the ABR controller module at that URL (e.g. Sluice's /player/sluice-abr.js).
    public static func play(_ url: String, seconds: Int, mode: Mode = .hlsjs, switchAt: Int? = nil, abr: String? = nil) async throws -> Report {
        var args = [repoRoot.appendingPathComponent("Tools/players/hlsjs-play.py").path,
                    "--url", url, "--seconds", "\(seconds)", "--mode", mode.rawValue,
                    "--cache", repoRoot.appendingPathComponent(".build/players").path]
        if let switchAt { args += ["--switch-at", "\(switchAt)"] }
        if let abr { args += ["--abr", abr] }
        let process = try ExternalProcess("python3", args)
        // pip download on first use, Chromium start-up, the playback itself.
        let status = await process.waitForExit(seconds: Double(seconds) + 180)
        guard status == 0 else { throw Failed(description: "player exited \(status): \(process.output) \(process.errors)") }
        return try JSONDecoder().decode(Report.self, from: Data(process.output.utf8))
    }
}

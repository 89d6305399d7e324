import Foundation
import Ingest
import Logging
import StreamHub

/// One ffmpeg publisher (stream copy of a 720p30 3 Mbit/s file, looped, real time) and N ffmpeg
/// RTMP players (stream copy to null), all external; measures this process's CPU (the server).
struct FanoutBenchmark {
    var readerCounts: [Int]
    var seconds: Int

    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    func spawn(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        p.arguments = ["-hide_banner", "-loglevel", "error", "-nostdin"] + args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// SIGKILL: children inherit the blocked signal mask of the Swift thread that spawned them,
    /// so SIGTERM stays pending forever.
    func stop(_ processes: [Process]) {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
    }

    func waitUntil(_ what: String, seconds: Double = 30, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw BenchmarkError(description: "timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func run() async throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rtmp-bench-720p.flv").path
        if !FileManager.default.fileExists(atPath: file) {
            let make = try spawn(["-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=f=440",
                                  "-c:v", "libx264", "-preset", "veryfast", "-b:v", "3000k", "-g", "30", "-c:a", "aac",
                                  "-t", "20", file])
            make.waitUntilExit()
        }
        var logger = Logger(label: "rtmp-bench")
        logger.logLevel = .error
        let server = RTMPServer(configuration: RTMPServerConfiguration(host: "127.0.0.1", port: 0), hub: StreamHub(), logger: logger)
        let port = try await server.start()
        let url = "rtmp://127.0.0.1:\(port)/live/bench"
        let publisher = try spawn(["-re", "-stream_loop", "-1", "-i", file, "-c", "copy", "-f", "flv", url])
        defer { stop([publisher]) }
        try await waitUntil("the publisher") { (server.hub.stream("live/bench")?.unitsIn ?? 0) > 60 }

        var lines: [String] = []
        var baseline: Double?
        for n in readerCounts {
            var readers: [Process] = []
            for _ in 0..<n { readers.append(try spawn(["-i", url, "-c", "copy", "-f", "null", "-"])) }
            try await waitUntil("\(n) readers") { server.hub.stream("live/bench")?.readerCount == n }
            try await Task.sleep(for: .seconds(2))
            let cpu0 = cpuSeconds(), t0 = Date()
            let units0 = server.hub.stream("live/bench")?.unitsIn ?? 0
            try await Task.sleep(for: .seconds(seconds))
            let cpu = cpuSeconds() - cpu0, wall = Date().timeIntervalSince(t0)
            let units = (server.hub.stream("live/bench")?.unitsIn ?? 0) - units0
            let alive = readers.filter(\.isRunning).count
            stop(readers)
            try await waitUntil("readers to leave") { server.hub.stream("live/bench")?.readerCount == 0 }
            let percent = 100 * cpu / wall
            if n == 0 { baseline = percent }
            var line = String(format: "%3d readers: server CPU %6.2f%% of one core, %4.0f units/s in, %d/%d readers alive",
                              n, percent, Double(units) / wall, alive, n)
            if n > 0, let baseline {
                line += String(format: ", %.3f%% of a core per reader above the publisher-only baseline", (percent - baseline) / Double(n))
            }
            lines.append(line)
            emit(line)
        }
        try await server.shutdown()
        return lines
    }
}

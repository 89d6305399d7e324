import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// `sluice serve --config`, `--print-config`, the environment and flags, and SIGHUP, on the
/// real binary.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct ConfigFileTests {
    /// Runs `sluice` with `env` (through /usr/bin/env) to its end.
    static func run(_ args: [String], env: [String] = []) async throws -> (status: Int32, out: String, err: String) {
        let p = try ExternalProcess("/usr/bin/env", env + [sluiceBinary] + args)
        let status = await p.waitForExit(seconds: 30)
        return (status, p.output, p.errors)
    }

    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-config-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func printConfigLoadsBackAndEnvironmentThenFlagsOverrideTheFile() async throws {
        let first = try await Self.run(["serve", "--print-config", "--rtmp-port", "1940", "--ladder", "360p:600k"],
                                       env: ["SLUICE_LISTENERS_SRT_PORT=9123", "SLUICE_LOGGING_LEVEL=debug"])
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out.contains("port: 1940") && first.out.contains("port: 9123") && first.out.contains("level: debug"))
        #expect(first.out.contains("ladder: 360p:600k"))
        // The printed file, loaded with nothing else, prints the same configuration.
        let printed = try Self.file(first.out)
        defer { try? FileManager.default.removeItem(atPath: printed) }
        let again = try await Self.run(["serve", "--config", printed, "--print-config"])
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out == first.out)

        let yaml = try Self.file("listeners:\n  rtmp:\n    port: 1950\n")
        defer { try? FileManager.default.removeItem(atPath: yaml) }
        let fromFile = try await Self.run(["serve", "--config", yaml, "--print-config"])
        let fromEnv = try await Self.run(["serve", "--config", yaml, "--print-config"], env: ["SLUICE_LISTENERS_RTMP_PORT=1960"])
        let fromFlag = try await Self.run(["serve", "--config", yaml, "--print-config", "--rtmp-port", "1970"],
                                          env: ["SLUICE_LISTENERS_RTMP_PORT=1960"])
        #expect(fromFile.out.contains("port: 1950"))
        #expect(fromEnv.out.contains("port: 1960") && !fromEnv.out.contains("port: 1950"))
        #expect(fromFlag.out.contains("port: 1970") && !fromFlag.out.contains("port: 1960"))
    }

    @Test(arguments: [
        ("listeners:\n  rtmp:\n    port: 1935\n  srt:\n    latencyMs: 5\n", ":5: listeners.srt.latencyMs: must be 20–8000 ms, got 5"),
        ("listeners:\n  rtmp:\n    prot: 1936\n", ":3: listeners.rtmp.prot: unknown key 'prot' (did you mean 'port'?)"),
        ("transcode:\n  ladder: 720p:fast\n", ":2: transcode.ladder: invalid ladder: bad bitrate"),
        ("paths:\n  - match: live/*\n    transcode: sometimes\n", ":3: paths[0].transcode: expected true or false, got 'sometimes'"),
    ])
    func anInvalidFileFailsWithOneLineNamingKeyAndLine(yaml: String, expected: String) async throws {
        let path = try Self.file(yaml)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try await Self.run(["serve", "--config", path, "--rtmp-port", "0", "--srt-port", "0", "--http-port", "0"])
        #expect(r.status != 0)
        let lines = r.err.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 1, "\(r.err)")
        #expect(r.err.contains(path + expected), "\(r.err)")
        #expect(!r.out.contains("push to"))
    }

    @Test func theFilesListenersAndLadderAreServedAndSIGHUPAppliesPathsToTheNextPublish() async throws {
        let base = """
        listeners:
          host: 127.0.0.1
          rtmp: {port: 0}
          srt: {port: 0}
          http: {port: 0}
        transcode:
          ladder: 288p:500k

        """
        let path = try Self.file(base)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let serve = try ExternalProcess(sluiceBinary, ["serve", "--config", path])
        defer { serve.kill() }
        #expect(await eventually(within: 30) { serve.output.contains("HLS:  play") }, "\(serve.errors)")
        let rtmp = try #require(Self.port(after: "rtmp://127.0.0.1:", in: serve.output))
        let http = try #require(Self.port(after: "http://127.0.0.1:", in: serve.output))
        #expect(rtmp != 1935 && http != 8080) // the file's port 0, not the defaults

        let a = try ExternalProcess("ffmpeg", ServerHarness.testPattern(seconds: 60) + ["-f", "flv", "rtmp://127.0.0.1:\(rtmp)/live/a"])
        defer { a.kill() }
        let masterA = await Self.poll(http, "live/a/index.m3u8") { $0.contains("288p/index.m3u8") }
        #expect(masterA.contains("288p/index.m3u8"), "\(masterA)")
        #expect(!masterA.contains("360p/"), "the built-in ladder, not the file's: \(masterA)")

        // An invalid file: logged with key and line, the running configuration stays.
        try (base + "paths:\n  - match: live/*\n    ladr: 216p:300k\n").write(toFile: path, atomically: true, encoding: .utf8)
        kill(serve.pid, SIGHUP)
        #expect(await eventually(within: 15) { serve.errors.contains("reload refused") }, "\(serve.errors)")
        #expect(serve.errors.contains("\(path):10: paths[0].ladr: unknown key 'ladr' (did you mean 'ladder'?)"))
        #expect(serve.isRunning)

        try (base + "paths:\n  - match: live/b\n    ladder: 216p:300k\n").write(toFile: path, atomically: true, encoding: .utf8)
        kill(serve.pid, SIGHUP)
        #expect(await eventually(within: 15) { serve.errors.contains("configuration reloaded") }, "\(serve.errors)")

        let b = try ExternalProcess("ffmpeg", ServerHarness.testPattern(seconds: 60) + ["-f", "flv", "rtmp://127.0.0.1:\(rtmp)/live/b"])
        defer { b.kill() }
        let masterB = await Self.poll(http, "live/b/index.m3u8") { $0.contains("216p/index.m3u8") }
        #expect(masterB.contains("216p/index.m3u8") && !masterB.contains("288p/"), "\(masterB)")

        // live/a kept its pipeline: same ladder, still publishing, its playlist still moving.
        #expect(a.isRunning)
        let before = await Self.get(http, "live/a/288p/index.m3u8").body
        let moved = await Self.poll(http, "live/a/288p/index.m3u8") { $0 != before && $0.contains("#EXT-X-PART") }
        #expect(moved != before)
        #expect(await Self.get(http, "live/a/index.m3u8").body.contains("288p/index.m3u8"))
        #expect(!serve.errors.contains("stream continues after a new publisher"))
        #expect(!serve.errors.contains("stream ended"))
    }

    static func port(after prefix: String, in text: String) -> Int? {
        guard let r = text.range(of: prefix) else { return nil }
        return Int(text[r.upperBound...].prefix { $0.isNumber })
    }

    static func get(_ port: Int, _ path: String) async -> (status: Int?, body: String) {
        guard let u = URL(string: "http://127.0.0.1:\(port)/\(path)") else { return (nil, "") }
        do {
            let (data, response) = try await URLSession.shared.data(from: u)
            return ((response as? HTTPURLResponse)?.statusCode, String(decoding: data, as: UTF8.self))
        } catch {
            return (nil, "\(error)")
        }
    }

    /// GETs `path` until `done` holds (at most 30 s: a bound, not a speed check); the last body.
    static func poll(_ port: Int, _ path: String, until done: (String) -> Bool) async -> String {
        var body = ""
        for _ in 0..<60 {
            body = await get(port, path).body
            if done(body) { break }
            try? await Task.sleep(for: .milliseconds(500))
        }
        return body
    }
}

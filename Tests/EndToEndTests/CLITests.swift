import Foundation
import Testing
import TestSupport

/// The `sluice` executable that `swift build --build-tests` put next to the tests.
let sluiceBinary: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".build/debug/sluice").path

@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct CLITests {
    static func run(_ args: [String]) async throws -> (status: Int32, out: String, err: String) {
        let p = try ExternalProcess(sluiceBinary, args)
        let status = await p.waitForExit(seconds: 30)
        return (status, p.output, p.errors)
    }

    @Test func helpListsEveryCommandAndVersionPrints() async throws {
        let help = try await Self.run(["--help"])
        #expect(help.status == 0)
        for command in ["serve", "push", "probe", "bench", "shape", "versions"] {
            #expect(help.out.contains("  \(command)"), "sluice --help lacks \(command):\n\(help.out)")
        }
        let version = try await Self.run(["--version"])
        #expect(version.status == 0 && version.out.hasPrefix("0."))
        let versions = try await Self.run(["versions"])
        #expect(versions.out.contains("libavcodec 59.") && versions.out.contains("libsrt 1.5"), "\(versions.out)")
    }

    @Test func badOptionsAreRejectedWithAReason() async throws {
        let ladder = try await Self.run(["serve", "--ladder", "720p:fast"])
        #expect(ladder.status != 0 && !ladder.err.isEmpty)
        let passphrase = try await Self.run(["serve", "--srt-passphrase", "short"])
        #expect(passphrase.status != 0 && passphrase.err.contains("10 to 79"))
    }

    /// Issue 9 finding 3: 70000 bound port 4464; -1 said "Missing value".
    @Test func portsOutsideTheRangeAreRefusedByName() async throws {
        let high = try await Self.run(["serve", "--rtmp-port", "70000"])
        #expect(high.status != 0 && high.err.contains("--rtmp-port must be 0–65535"), "\(high.err)")
        let negative = try await Self.run(["serve", "--http-port", "-1"])
        #expect(negative.status != 0 && negative.err.contains("--http-port must be 0–65535"), "\(negative.err)")
        #expect(!negative.err.contains("Missing value"))
    }

    /// Issue 9 finding 5 through the command line: a bare number is kbit/s, absurd values are refused.
    @Test func ladderFlagRefusesAbsurdBitrates() async throws {
        let tiny = try await Self.run(["serve", "--ladder", "720p:3"])
        #expect(tiny.status != 0 && tiny.err.contains("outside 50k–100m"), "\(tiny.err)")
    }

    /// Issue 9 finding 6: `push foo` wrote a file named foo; `push http://…` reported success.
    @Test func pushRefusesWhatIsNotAStreamURL() async throws {
        let name = "sluice-push-\(UUID().uuidString)"
        let file = try await Self.run(["push", name, "--duration", "1"])
        #expect(file.status != 0 && file.err.contains("rtmp://, rtmps:// or srt://"), "\(file.err)")
        #expect(!FileManager.default.fileExists(atPath: name))
        let http = try await Self.run(["push", "http://127.0.0.1:9/live/x", "--duration", "1"])
        #expect(http.status != 0 && !http.out.contains("sent "), "\(http.out)\(http.err)")
    }

    /// Issue 9 finding 6: an unreachable URL dumped an NSURLError.
    @Test func probeOnAnUnreachableURLSaysWhy() async throws {
        let port = try ClosedPort.make()
        let probe = try await Self.run(["probe", "http://127.0.0.1:\(port)/live/x/index.m3u8", "--duration", "2"])
        #expect(probe.status != 0)
        #expect(probe.err.contains("cannot read http://127.0.0.1:\(port)/live/x/index.m3u8: connection refused"), "\(probe.err)")
        #expect(!probe.err.contains("Domain="), "\(probe.err)")
    }

    /// Issue 9 finding 6: bind errors named neither listener nor port, and HTTP failed only
    /// after the push URLs were printed.
    @Test func aBusyPortNamesTheListenerAndNoURLIsPrinted() async throws {
        let busy = try ListeningSocket()
        defer { busy.close() }
        let rtmp = try await Self.run(["serve", "--host", "127.0.0.1", "--rtmp-port", "\(busy.port)", "--srt-port", "0", "--http-port", "0"])
        #expect(rtmp.status != 0)
        #expect(rtmp.err.contains("cannot listen for RTMP on 127.0.0.1:\(busy.port): port \(busy.port) is already in use"), "\(rtmp.err)")
        #expect(!rtmp.out.contains("push to"), "\(rtmp.out)")

        let http = try await Self.run(["serve", "--host", "127.0.0.1", "--rtmp-port", "0", "--srt-port", "0", "--http-port", "\(busy.port)"])
        #expect(http.status != 0)
        #expect(http.err.contains("cannot listen for HTTP on 127.0.0.1:\(busy.port): port \(busy.port) is already in use"), "\(http.err)")
        #expect(!http.out.contains("push to"), "a URL was printed for a server that failed: \(http.out)")
    }

    @Test func servePrintsWhereToPushAndPlay() async throws {
        let serve = try ExternalProcess(sluiceBinary, ["serve", "--host", "127.0.0.1", "--rtmp-port", "0", "--srt-port", "0", "--http-port", "0"])
        defer { serve.kill() }
        #expect(await eventually(within: 30) { serve.output.contains("HLS:  play http://127.0.0.1:") })
        #expect(serve.output.contains("RTMP: push to rtmp://127.0.0.1:"))
        #expect(serve.output.contains("SRT:  push to srt://127.0.0.1:"))
        #expect(await eventually(within: 10) { serve.output.contains("WebRTC: play http://127.0.0.1:") && serve.output.contains("/whip/live/<stream>") })
        #expect(serve.isRunning)
    }
}

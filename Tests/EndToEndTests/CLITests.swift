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

    @Test func unbuiltCommandSaysSoAndFails() async throws {
        let shape = try await Self.run(["shape", "--listen", "127.0.0.1:1", "--upstream", "127.0.0.1:2"])
        #expect(shape.status != 0)
        #expect((shape.out + shape.err).contains("not built yet"))
    }

    @Test func badOptionsAreRejectedWithAReason() async throws {
        let ladder = try await Self.run(["serve", "--ladder", "720p:fast"])
        #expect(ladder.status != 0 && !ladder.err.isEmpty)
        let passphrase = try await Self.run(["serve", "--srt-passphrase", "short"])
        #expect(passphrase.status != 0 && passphrase.err.contains("10 to 79"))
    }

    @Test func servePrintsWhereToPushAndPlay() async throws {
        let serve = try ExternalProcess(sluiceBinary, ["serve", "--host", "127.0.0.1", "--rtmp-port", "0", "--srt-port", "0", "--http-port", "0"])
        defer { serve.kill() }
        #expect(await eventually(within: 30) { serve.output.contains("HLS:  play http://127.0.0.1:") })
        #expect(serve.output.contains("RTMP: push to rtmp://127.0.0.1:"))
        #expect(serve.output.contains("SRT:  push to srt://127.0.0.1:"))
        #expect(serve.isRunning)
    }
}

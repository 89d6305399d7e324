import Foundation
import Testing
import TestSupport

/// Finding 1 through the CLI: `sluice push` to a port that refuses the connection segfaulted
/// (a trailer written on an output whose header never was). It must fail with one clear line.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct PushRefusedTests {
    /// A loopback TCP port that refuses connections.
    static func refusedPort() throws -> Int { try ClosedPort.make() }

    @Test func pushToARefusedPortExitsWithOneClearError() async throws {
        let port = try Self.refusedPort()
        let push = try ExternalProcess(sluiceBinary, ["push", "rtmp://127.0.0.1:\(port)/live/x", "--duration", "2", "--size", "64x64"])
        let status = await push.waitForExit(seconds: 30)
        // 1 is ArgumentParser's failure exit; a signal (SIGSEGV is 11) would report its number.
        #expect(status == 1, "exit status \(status), stderr: \(push.errors)")
        let errorLines = push.errors.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(errorLines.count == 1, "\(push.errors)")
        #expect(errorLines.first?.contains("Connection refused") == true, "\(push.errors)")
    }
}

import Foundation
import Synchronization

/// A command-line tool run by a test (ffmpeg, ffprobe, gst-launch-1.0). Output goes to a temp
/// file so a full pipe can never block it; `stop()` (also run on deinit) kills it.
public final class ExternalProcess: Sendable {
    private let process: Process
    public let outputURL: URL
    public let errorURL: URL
    public let name: String

    public init(_ executable: String, _ arguments: [String]) throws {
        name = URL(fileURLWithPath: executable).lastPathComponent
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/" + executable)
        process.arguments = arguments
        let dir = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        outputURL = dir.appendingPathComponent("sluice-test-\(name)-\(id).out")
        errorURL = dir.appendingPathComponent("sluice-test-\(name)-\(id).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.processIdentifier }

    /// Waits for the process to exit by itself; kills it if `seconds` pass first. Returns the exit status.
    public func waitForExit(seconds: Double) async -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { stop() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL, as when a publisher's machine dies: no FCUnpublish, no deleteStream.
    public func kill() {
        if process.isRunning { _ = Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGKILL at once: a child inherits the blocked signal mask of the Swift thread that spawned
    /// it, so SIGTERM would stay pending and never stop it.
    public func stop() {
        kill()
    }

    public var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }
    public var errors: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: outputURL)
        try? FileManager.default.removeItem(at: errorURL)
    }
}

/// Polls `condition` until it holds or `seconds` pass: a bound on a test, not a speed check.
public func eventually(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}

import FFmpegBridge
import Foundation
import MediaCore
import NIOCore

/// H.264 + AAC media made by the ffmpeg CLI at test time, read back with `Demuxer` and turned
/// into hub conventions (AVCC H.264 with avcC, raw AAC with ASC).
public struct TestMedia: Sendable {
    public var tracks: [TrackInfo]
    public var units: [MediaUnit]

    public init(tracks: [TrackInfo], units: [MediaUnit]) {
        self.tracks = tracks
        self.units = units
    }

    public var videoUnits: [MediaUnit] { units.filter { $0.track == .video } }

    /// 30 fps, keyframe every second, 2 B-frames, 48 kHz AAC.
    public static let fourSeconds: TestMedia = make(seconds: 4, gop: 30)

    public static func make(seconds: Int, gop: Int, size: String = "320x240") -> TestMedia {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-hls-\(getpid())-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("in.flv").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        p.arguments = ["-hide_banner", "-loglevel", "error", "-y",
                       "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=30",
                       "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                       "-t", "\(seconds)", "-c:v", "libx264", "-preset", "veryfast", "-bf", "2",
                       "-g", "\(gop)", "-keyint_min", "\(gop)", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
                       "-c:a", "aac", "-b:a", "64k", "-f", "flv", file]
        try! p.run()
        p.waitUntilExit()
        precondition(p.terminationStatus == 0, "ffmpeg failed")
        return read(file)
    }

    public static func read(_ file: String) -> TestMedia {
        let demuxer = try! Demuxer(url: file)
        var tracks: [TrackInfo] = []
        var kinds: [Int: (TrackKind, Rational)] = [:]
        for s in demuxer.streams {
            guard let t = s.track else { continue }
            tracks.append(t)
            kinds[s.index] = (t.kind, t.timebase)
        }
        let base = WallClock.nowMicros()
        var units: [MediaUnit] = []
        while let packet = try! demuxer.read() {
            guard let (kind, tb) = kinds[Int(packet.streamIndex)] else { continue }
            let wall = base + tb.rescale(packet.dts, to: .microseconds)
            units.append(MediaUnit(track: kind, pts: packet.pts, dts: packet.dts, timebase: tb,
                                   isKeyframe: kind == .audio || packet.isKeyframe, data: packet.byteBuffer(), ingestWallClock: wall))
        }
        return TestMedia(tracks: tracks, units: units)
    }

    /// The same media shifted so it continues `offset` seconds later (wall clock too).
    public func shifted(by offset: Double, restartTimestamps: Bool) -> [MediaUnit] {
        units.map { u in
            var v = u
            let ticks = Int64(offset / u.timebase.seconds)
            if !restartTimestamps { v.pts += ticks; v.dts += ticks }
            v.ingestWallClock += Int64(offset * 1_000_000)
            return v
        }
    }
}

/// Runs a command with a time limit (killed after it); returns status, stdout and stderr.
public func run(_ path: String, _ args: [String], timeout: Double = 20) throws -> (status: Int32, out: String, err: String) {
    let dir = FileManager.default.temporaryDirectory
    let outURL = dir.appendingPathComponent("sluice-run-\(UUID().uuidString).out")
    let errURL = dir.appendingPathComponent("sluice-run-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    p.standardOutput = try FileHandle(forWritingTo: outURL)
    p.standardError = try FileHandle(forWritingTo: errURL)
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(20_000) }
    if p.isRunning {
        p.terminate()
        usleep(300_000)
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }
    p.waitUntilExit()
    return (p.terminationStatus, try String(contentsOf: outURL, encoding: .utf8), try String(contentsOf: errURL, encoding: .utf8))
}

/// Runs blocking work (a child process wait) on its own thread, so it cannot starve Swift's
/// cooperative pool, where the origin under test answers requests.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        Thread { c.resume(with: Result { try body() }) }.start()
    }
}

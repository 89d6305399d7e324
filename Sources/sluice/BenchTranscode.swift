import ArgumentParser
import FFmpegBridge
import Foundation
import LatencyProbe
import Logging
import MediaCore
import StreamHub
import Synchronization
import Transcode

#if canImport(Glibc)
import Glibc
#endif

extension Bench {
    /// Runs the server's transcode engine over a file as fast as it goes and, with
    /// `--compare-ffmpeg`, the equivalent one-command ffmpeg ladder in the same run; PSNR of
    /// every rung (both sides) against the source scaled with lanczos + accurate rounding.
    struct Transcode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the transcode ladder as fast as possible; optionally against the ffmpeg CLI ladder."
        )
        @Option(help: "Input media file with H.264 or HEVC video (mp4, mkv, flv: length-prefixed NALs).") var input: String
        @Option(help: "Ladder, e.g. 720p:3000k,480p:1200k,360p:700k") var ladder: String?
        @Flag(help: "Also run the equivalent one-command ffmpeg ladder and print the ratio.") var compareFfmpeg = false
        @Flag(help: "End with one JSON object on the last line.") var json = false
        @Option(help: "x264 preset, both sides.") var preset = "veryfast"
        @Option(help: "GOP in seconds, both sides.") var gop: Double = 2
        @Option(help: "Compare every Nth frame for PSNR (all frames are still decoded).") var psnrEvery = 1
        @Flag(help: "Skip the PSNR pass.") var noPsnr = false
        @Option(help: "Directory for ffmpeg's rung files (default: a temporary directory).") var workDir: String?
        @Flag(help: "Feed the input at its own pace in live mode (drops allowed) and report the latency the transcoder adds per rung.") var realtime = false
        @Option(name: .customLong("repeat"), help: "Alternating runs of each side; the best wall time of each is reported.") var repeatCount = 1

        func run() throws {
            FFmpegLog.install(logger: Logger(label: "ffmpeg", factory: { StreamLogHandler.standardError(label: $0) }), level: .warning) // not x264's per-encoder summaries
            let source = try SourceFile(path: input)
            let ladderSpec = try ladder.map { try Ladder(parsing: $0) } ?? .default
            let rungs = ladderSpec.resolve(sourceWidth: source.track.width, sourceHeight: source.track.height)
            guard !rungs.isEmpty else { throw ValidationError("no rung of the ladder fits a \(source.track.width)x\(source.track.height) source") }
            let cores = ProcessInfo.processInfo.activeProcessorCount
            log("input: \(input) — \(source.track.codec) \(source.track.width)x\(source.track.height), \(source.units.count) frames, \(fmt(source.duration)) s; \(cores) cores")

            var config = TranscodeConfiguration()
            config.ladder = ladderSpec
            config.audio = []
            config.overload = .block
            config.preset = preset
            config.gopSeconds = gop
            config.cores = cores
            if realtime {
                try runPaced(source: source, config: config, rungs: rungs)
                return
            }
            var collector = RenditionCollector()
            var ours = Usage(wall: .infinity, cpu: 0)
            var oursPeakRSS = 0
            var stats = TranscodeStats()
            var ffmpeg: Usage? = nil
            var ffmpegFiles: [String] = []
            var ffmpegArgs: [String] = []
            if compareFfmpeg {
                let dir = workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(getpid())").path
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                ffmpegFiles = rungs.map { "\(dir)/ffmpeg_\($0.name).mp4" }
                ffmpegArgs = ffmpegArguments(rungs: rungs, fps: source.fps, files: ffmpegFiles)
                log("ffmpeg " + ffmpegArgs.joined(separator: " "))
            }
            // Alternating runs, best wall time of each side: on a shared machine the minimum is
            // the run least disturbed by others.
            for round in 1...max(1, repeatCount) {
                let runCollector = RenditionCollector()
                let session = TranscodeSession(configuration: config, sink: runCollector,
                                               logger: Logger(label: "sluice.transcode", factory: { StreamLogHandler.standardError(label: $0) }))
                let before = Usage.now(who: RUSAGE_SELF)
                session.start()
                session.push(.tracks([source.track]))
                for unit in source.units { session.push(.unit(unit)) }
                session.finish()
                let run = Usage.now(who: RUSAGE_SELF) - before
                if round == 1 { oursPeakRSS = Usage.peakRSSMiB() } // before the ffmpeg run and the PSNR pass
                if run.wall < ours.wall {
                    ours = run
                    stats = session.stats
                    collector = runCollector
                }
                if compareFfmpeg {
                    let start = Usage.now(who: RUSAGE_CHILDREN)
                    // The peer being compared against, run as the CLI a user would run; Sluice's
                    // own side above is in-process.
                    try runProcess("ffmpeg", ffmpegArgs)
                    let theirs = Usage.now(who: RUSAGE_CHILDREN) - start
                    if theirs.wall < ffmpeg?.wall ?? .infinity { ffmpeg = theirs }
                    log("round \(round): sluice \(fmt(run.wall)) s, ffmpeg \(fmt(theirs.wall)) s")
                }
            }

            var psnr: [String: Double] = [:]
            var ffmpegPSNR: [String: Double] = [:]
            if !noPsnr {
                (psnr, ffmpegPSNR) = try measurePSNR(source: source, rungs: rungs, collector: collector,
                                                      outputTimebase: config.outputTimebase, ffmpegFiles: ffmpegFiles)
            }

            let rt = source.duration / ours.wall
            log("")
            log("sluice: \(fmt(ours.wall)) s wall, \(fmt(rt))x real time, CPU \(fmt(ours.cpu)) s (\(fmt(ours.cpu / ours.wall * 100)) %), peak RSS \(oursPeakRSS) MiB (input file held in memory)")
            log("  stages (thread seconds): decode \(fmt(stats.decodeSeconds)), scale \(fmt(stats.scaleSeconds)), encode \(fmt(stats.encodeSeconds))")
            var rows: [RungReport] = []
            for rung in rungs {
                let units = collector.units(rung.name)
                let bytes = units.reduce(0) { $0 + $1.data.readableBytes }
                let rs = stats.rung(rung.name)
                let row = RungReport(name: rung.name, width: rung.width, height: rung.height,
                                     fps: Double(units.count) / ours.wall,
                                     bitrate_kbps: Double(bytes) * 8 / source.duration / 1000,
                                     psnr_db: psnr[rung.name].map(round2), ffmpeg_psnr_db: ffmpegPSNR[rung.name].map(round2))
                rows.append(row)
                log("  \(rung.name) \(rung.width)x\(rung.height): \(units.count) frames, \(fmt(row.fps)) fps, \(fmt(row.bitrate_kbps)) kb/s, "
                    + "PSNR \(row.psnr_db.map(fmt) ?? "-") dB, scale \(fmt(rs?.scaleSeconds ?? 0)) s, encode \(fmt(rs?.encodeSeconds ?? 0)) s, dropped \(rs?.framesDropped ?? 0)")
            }
            var report = Report(realtime_factor: round2(rt), ffmpeg_realtime_factor: nil, speedup_vs_ffmpeg: nil, rungs: rows)
            if let ffmpeg {
                let frt = source.duration / ffmpeg.wall
                report.ffmpeg_realtime_factor = round2(frt)
                report.speedup_vs_ffmpeg = round2(ffmpeg.wall / ours.wall)
                log("ffmpeg: \(fmt(ffmpeg.wall)) s wall, \(fmt(frt))x real time, CPU \(fmt(ffmpeg.cpu)) s (\(fmt(ffmpeg.cpu / ffmpeg.wall * 100)) %)")
                for rung in rungs {
                    log("  \(rung.name): PSNR \(ffmpegPSNR[rung.name].map(fmt) ?? "-") dB")
                }
                log("speedup vs ffmpeg: \(fmt(ffmpeg.wall / ours.wall))x")
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            }
        }

        private func log(_ line: String) {
            // With --json only the JSON object goes to stdout.
            if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
        }

        /// Live mode at the source's pace: each unit is stamped with the wall clock when it is
        /// handed over; latency = when the rung's unit reaches the sink − that stamp.
        func runPaced(source: SourceFile, config base: TranscodeConfiguration, rungs: [ResolvedRung]) throws {
            var config = base
            config.overload = .dropFrames
            let latencies = LatencyLog()
            let sink = RenditionCollector { unit, rendition in
                latencies.add(WallClock.nowMicros() - unit.ingestWallClock, rendition: rendition)
            }
            let session = TranscodeSession(configuration: config, sink: sink,
                                           logger: Logger(label: "sluice.transcode", factory: { StreamLogHandler.standardError(label: $0) }))
            let before = Usage.now(who: RUSAGE_SELF)
            session.start()
            session.push(.tracks([source.track]))
            let firstDTS = source.units[0].dts
            for var unit in source.units {
                let due = before.wall + Double(unit.dts - firstDTS) * source.track.timebase.seconds
                let wait = due - Usage.now(who: RUSAGE_SELF).wall
                if wait > 0 { usleep(UInt32(wait * 1e6)) }
                unit.ingestWallClock = WallClock.nowMicros()
                session.push(.unit(unit))
            }
            session.finish()
            let run = Usage.now(who: RUSAGE_SELF) - before
            let stats = session.stats
            log("paced live run: \(fmt(run.wall)) s wall for \(fmt(source.duration)) s of media, CPU \(fmt(run.cpu)) s (\(fmt(run.cpu / run.wall * 100)) %)")
            var rows: [String: [String: Double]] = [:]
            for rung in rungs {
                let h = latencies.histogram(rung.name)
                guard !h.isEmpty else { continue }
                func pct(_ p: Double) -> Double { h.milliseconds(atQuantile: p) }
                let dropped = stats.rung(rung.name)?.framesDropped ?? 0
                rows[rung.name] = ["p50_ms": round2(pct(0.5)), "p95_ms": round2(pct(0.95)), "max_ms": round2(h.maxMilliseconds),
                                   "frames": Double(h.count), "dropped": Double(dropped)]
                log("  \(rung.name): latency p50 \(fmt(pct(0.5))) ms, p95 \(fmt(pct(0.95))) ms, max \(fmt(h.maxMilliseconds)) ms; \(h.count) frames, \(dropped) dropped")
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(["latency": rows]), as: UTF8.self))
            }
        }

        /// One ffmpeg command: one decode, split + scale (ffmpeg's default bicubic), the same
        /// sizes, bitrates, VBV, preset, tune and fixed GOP; default threading.
        func ffmpegArguments(rungs: [ResolvedRung], fps: Double, files: [String]) -> [String] {
            let labels = rungs.indices.map { "[v\($0)]" }.joined()
            var graph = "[0:v]split=\(rungs.count)\(labels)"
            for (i, r) in rungs.enumerated() {
                var chain = "scale=\(r.width):\(r.height)"
                if let cap = r.spec.maxFrameRate, cap < fps { chain += ",fps=\(cap)" }
                graph += ";[v\(i)]\(chain)[o\(i)]"
            }
            var args = ["-hide_banner", "-loglevel", "error", "-y", "-i", input, "-filter_complex", graph]
            for (i, r) in rungs.enumerated() {
                let k = "\(r.spec.bitrate / 1000)k"
                let g = String(Int((gop * min(fps, r.spec.maxFrameRate ?? fps)).rounded()))
                args += ["-map", "[o\(i)]", "-an", "-c:v", "libx264", "-preset", preset, "-tune", "zerolatency",
                         "-b:v", k, "-maxrate", k, "-bufsize", k, "-g", g, "-keyint_min", g, "-sc_threshold", "0",
                         "-fps_mode", "passthrough", files[i]]
            }
            return args
        }

        /// Decodes the source and every rung in step; each compared picture is measured against
        /// the source frame scaled to the rung's size with lanczos + accurate rounding.
        /// PSNR is of the mean squared error over all compared frames (Y, U and V samples).
        func measurePSNR(source: SourceFile, rungs: [ResolvedRung], collector: RenditionCollector,
                         outputTimebase: Rational, ffmpegFiles: [String]) throws -> ([String: Double], [String: Double]) {
            let src = try DecodedStream(track: source.track, packets: source.units.lazy.map { try? $0.packet() }.makeIterator())
            var ours: [DecodedStream] = []
            var refs: [Scaler?] = Array(repeating: nil, count: rungs.count)
            for rung in rungs {
                guard let rendition = collector.rendition(rung.name) else { throw ValidationError("rung \(rung.name) produced nothing") }
                ours.append(try DecodedStream(track: rendition.track, packets: collector.units(rung.name).lazy.map { try? $0.packet() }.makeIterator()))
            }
            var theirs: [DecodedStream] = []
            for file in ffmpegFiles {
                let demuxer = try Demuxer(url: file)
                guard let stream = demuxer.streams.first, let track = stream.track else { throw ValidationError("\(file): no video") }
                theirs.append(try DecodedStream(track: track, packets: AnyIterator { try? demuxer.read() }))
            }
            var err = Array(repeating: (0.0, 0), count: rungs.count)
            var ffErr = Array(repeating: (0.0, 0), count: rungs.count)
            var index = 0
            while let frame = try src.next() {
                defer { index += 1 }
                let compare = index % max(1, psnrEvery) == 0
                let outPTS = source.track.timebase.rescale(frame.pts, to: outputTimebase)
                let srcSeconds = src.secondsFromStart(frame)
                for i in rungs.indices {
                    let mine = try ours[i].frame(atPTS: outPTS)
                    // ffmpeg's files have their own timebase and start: match by time from the start.
                    let other = i < theirs.count ? try theirs[i].frame(atSeconds: srcSeconds, tolerance: 0.5 / source.fps) : nil
                    guard compare, mine != nil || other != nil else { continue }
                    // Built from the first decoded frame: its real size and pixel format.
                    let scaler = try refs[i] ?? Scaler(inputWidth: frame.width, inputHeight: frame.height, inputFormat: frame.pixelFormat,
                                                       outputWidth: rungs[i].width, outputHeight: rungs[i].height, quality: [.lanczos, .accurate])
                    refs[i] = scaler
                    let ref = try scaler.scale(frame)
                    if let mine {
                        let e = try PSNR.squaredError(ref, mine)
                        err[i].0 += e.sum
                        err[i].1 += e.samples
                    }
                    if let other {
                        let e = try PSNR.squaredError(ref, other)
                        ffErr[i].0 += e.sum
                        ffErr[i].1 += e.samples
                    }
                }
            }
            func db(_ e: [(Double, Int)]) -> [String: Double] {
                var out: [String: Double] = [:]
                for (i, r) in rungs.enumerated() where e[i].1 > 0 {
                    out[r.name] = PSNR.decibels(meanSquaredError: e[i].0 / Double(e[i].1))
                }
                return out
            }
            return (db(err), db(ffErr))
        }
    }

    /// The input file's video, read into memory so the timed run measures transcoding only.
    struct SourceFile {
        var track: TrackInfo
        var units: [MediaUnit]
        var duration: Double
        var fps: Double

        init(path: String) throws {
            let demuxer = try Demuxer(url: path)
            guard let stream = demuxer.streams.first(where: { $0.track?.kind == .video }), let track = stream.track else {
                throw ValidationError("\(path): no H.264/HEVC video stream")
            }
            self.track = track
            var units: [MediaUnit] = []
            while let p = try demuxer.read() {
                guard Int(p.streamIndex) == stream.index else { continue }
                units.append(MediaUnit(track: .video, pts: p.pts, dts: p.dts, timebase: track.timebase, isKeyframe: p.isKeyframe,
                                       data: p.byteBuffer(), ingestWallClock: WallClock.nowMicros()))
            }
            guard !units.isEmpty else { throw ValidationError("\(path): no video frames") }
            self.units = units
            let rate = track.frameRate.map(\.seconds) ?? 30
            fps = rate > 0 ? rate : 30
            let pts = units.map(\.pts)
            duration = Double(pts.max()! - pts.min()!) * track.timebase.seconds + 1 / fps
        }
    }

    /// Frames of one stream in presentation order, decoded on demand.
    final class DecodedStream {
        private let decoder: Decoder
        private var packets: any IteratorProtocol<Packet?>
        private var buffered: [Frame] = []
        private var ended = false
        private var peeked: Frame?

        private let timebase: Rational
        private var firstPTS: Int64?

        init(track: TrackInfo, packets: some IteratorProtocol<Packet?>) throws {
            decoder = try Decoder(track: track, threads: 2)
            self.packets = packets
            timebase = track.timebase
        }

        /// Seconds since this stream's first frame.
        func secondsFromStart(_ frame: Frame) -> Double {
            let first = firstPTS ?? frame.pts
            firstPTS = first
            return Double(frame.pts - first) * timebase.seconds
        }

        /// The frame within `tolerance` of `seconds` from the start, skipping earlier ones;
        /// nil if there is none (a rung with a lower frame rate).
        func frame(atSeconds seconds: Double, tolerance: Double) throws -> Frame? {
            while let f = try next() {
                let t = secondsFromStart(f)
                if t < seconds - tolerance { continue }
                if t > seconds + tolerance { peeked = f; return nil }
                return f
            }
            return nil
        }

        func next() throws -> Frame? {
            if let p = peeked {
                peeked = nil
                return p
            }
            while buffered.isEmpty {
                if ended { return nil }
                if let packet = packets.next(), let packet {
                    buffered += try decoder.decode(packet)
                } else {
                    buffered += try decoder.decode(nil)
                    ended = true
                }
            }
            return buffered.removeFirst()
        }

        /// The frame with exactly `pts`, skipping earlier ones; nil if this stream has none
        /// (a rung's frame-rate cap).
        func frame(atPTS pts: Int64) throws -> Frame? {
            while let f = try next() {
                if f.pts < pts { continue }
                if f.pts > pts { peeked = f; return nil }
                return f
            }
            return nil
        }
    }

    /// Per-rendition latencies from the codec threads, as histograms (flat memory on long runs).
    final class LatencyLog: Sendable {
        private let samples = Mutex<[String: LatencyHistogram]>([:])

        func add(_ micros: Int64, rendition: String) {
            samples.withLock { $0[rendition, default: LatencyHistogram()].record(micros: micros) }
        }

        func histogram(_ rendition: String) -> LatencyHistogram {
            samples.withLock { $0[rendition] ?? LatencyHistogram() }
        }
    }

    struct Usage {
        var wall: Double
        var cpu: Double

        static func now(who: __rusage_who) -> Usage {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            var ru = rusage()
            getrusage(__rusage_who_t(who.rawValue), &ru)
            func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
            return Usage(wall: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9, cpu: s(ru.ru_utime) + s(ru.ru_stime))
        }

        static func - (a: Usage, b: Usage) -> Usage { Usage(wall: a.wall - b.wall, cpu: a.cpu - b.cpu) }

        /// Of this process. (Not of ffmpeg: a child's ru_maxrss starts from the parent's at fork.)
        static func peakRSSMiB() -> Int {
            var ru = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &ru)
            return Int(ru.ru_maxrss) / 1024
        }
    }

    struct RungReport: Codable {
        var name: String
        var width: Int
        var height: Int
        var fps: Double
        var bitrate_kbps: Double
        var psnr_db: Double?
        var ffmpeg_psnr_db: Double?

        func encode(to encoder: any Swift.Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(width, forKey: .width)
            try c.encode(height, forKey: .height)
            try c.encode(fps, forKey: .fps)
            try c.encode(bitrate_kbps, forKey: .bitrate_kbps)
            try c.encode(psnr_db, forKey: .psnr_db)
            try c.encode(ffmpeg_psnr_db, forKey: .ffmpeg_psnr_db)
        }
    }

    struct Report: Codable {
        var realtime_factor: Double
        var ffmpeg_realtime_factor: Double?
        var speedup_vs_ffmpeg: Double?
        var rungs: [RungReport]

        func encode(to encoder: any Swift.Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(realtime_factor, forKey: .realtime_factor)
            try c.encode(ffmpeg_realtime_factor, forKey: .ffmpeg_realtime_factor) // null when not compared
            try c.encode(speedup_vs_ffmpeg, forKey: .speedup_vs_ffmpeg)
            try c.encode(rungs, forKey: .rungs)
        }
    }
}

private func runProcess(_ tool: String, _ args: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + args
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ValidationError("\(tool) exited with \(process.terminationStatus)") }
}

private func fmt(_ v: Double) -> String { String(format: "%.2f", v) }
private func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }

extension MediaUnit {
    fileprivate func packet() throws -> Packet {
        let p = try Packet(copying: data)
        p.pts = pts
        p.dts = dts
        p.isKeyframe = isKeyframe
        return p
    }
}

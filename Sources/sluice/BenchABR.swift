import ABR
import ArgumentParser
import Foundation

extension Bench {
    /// The viewer-side ABR policies in Pensieve's trace-driven simulator (chunk mode) or in the
    /// low-latency live simulator (`--live`, the Twitch MMSys'20 profiles), side by side.
    struct ABRBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "abr",
            abstract: "Compare ABR policies on network traces (Pensieve's test environment) or live profiles.",
            discussion: """
                Chunk mode: every file of --traces is a trace of 'time_s Mbps' lines; the Envivio video \
                (48 × 4 s chunks, 300–4300 kbit/s) is built in, --video reads video_size_0… from a folder. \
                Scores are mean QoE per chunk over chunks 2…48, averaged over the traces. \
                Live mode (--live): parts of --part seconds over the five Twitch MMSys'20 profiles (or --profiles FILE).
                """
        )
        @Option(help: "Folder of traces, one 'time_s Mbps' line per sample (chunk mode).") var traces: String?
        @Option(help: "Policy name or 'all'.") var policy = "all"
        @Option(help: "Folder with video_size_0 … video_size_N (bytes per chunk, one per line) for the ladder.") var video: String?
        @Flag(help: "Low-latency live mode over the Twitch MMSys'20 profiles.") var live = false
        @Option(help: "Live: profiles JSON (the format of shared/data/profiles/twitch-mmsys2020.json); default built in.") var profiles: String?
        @Option(help: "Live: part duration, seconds (0.2–0.5).") var part: Double = 0.5
        @Option(help: "Live: target latency, seconds.") var targetLatency: Double = 1.5
        @Flag(help: "End with one JSON object on the last line.") var json = false
        @Option(help: "Write Sluice's recorded live inputs and decisions (the parity vectors of a port) to FILE and exit.") var recordVectors: String?
        @OptionGroup(title: "Real players") var player: ABRPlayerBench.Options

        func validate() throws {
            if recordVectors != nil { return }
            if player.player { return } // BenchABRPlayer.swift checks its own options
            if live {
                guard (0.2...0.5).contains(part) else { throw ValidationError("--part must be 0.2–0.5 s, got \(part)") }
                guard targetLatency > part, targetLatency <= 30 else { throw ValidationError("--target-latency must be above --part and at most 30 s") }
            } else if traces == nil {
                throw ValidationError("--traces DIR is required (or --live)")
            }
            let names = live ? Policies.liveNames : Policies.chunkNames
            guard policy == "all" || names.contains(policy) else {
                throw ValidationError("unknown policy '\(policy)'; one of \(names.joined(separator: ", ")) or all")
            }
        }

        func run() throws {
            if player.player { return try player.runBlocking(json: json) }
            if let recordVectors {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let vectors = SluiceLiveVectors.record()
                guard FileManager.default.createFile(atPath: recordVectors, contents: try encoder.encode(vectors)) else {
                    throw CommandFailure("cannot write \(recordVectors)")
                }
                print("\(vectors.count) vectors written to \(recordVectors)")
                return
            }
            if live { try runLive() } else { try runChunks() }
        }

        private func say(_ line: String) {
            // With --json only the JSON object goes to stdout.
            if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
        }

        private func runChunks() throws {
            let loaded: [Trace]
            do { loaded = try Trace.loadFolder(traces ?? ".") } catch { throw CommandFailure(error.description) }
            var simulator = ChunkSimulator()
            if let video {
                do { simulator.sizes = try Self.loadVideo(video) } catch { throw CommandFailure(error.description) }
                simulator.totalChunks = simulator.sizes.levels.map(\.count).min() ?? 0
                guard simulator.sizes.levels.count == simulator.bitratesKbps.count else {
                    throw CommandFailure("\(video): \(simulator.sizes.levels.count) video_size files; the ladder has \(simulator.bitratesKbps.count) levels")
                }
                guard simulator.totalChunks >= 2 else { throw CommandFailure("\(video): fewer than 2 chunks per level") }
                simulator.totalChunks = min(simulator.totalChunks, 48)
            }
            let names = policy == "all" ? Policies.chunkNames : [policy]
            say("\(loaded.count) traces from \(traces ?? "."); \(simulator.totalChunks) chunks of 4 s; ladder \(simulator.bitratesKbps.map { "\(Int($0))" }.joined(separator: "/")) kbit/s")
            say("policy      QoE_lin  QoE_log   QoE_hd  bitrate kbit/s  rebuffer %  switches")
            var rows: [[String: Any]] = []
            for name in names {
                guard var p = Policies.chunk(name) else { continue }
                let scores = loaded.map { trace in
                    ChunkScore(chunks: simulator.run(&p, on: trace), bitratesKbps: simulator.bitratesKbps,
                               chunkSeconds: simulator.chunkMs / 1000)
                }
                let m = ChunkScore.mean(scores)
                say(name.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " %8.4f %8.4f %8.3f %15.0f %11.2f %9.2f", name as NSString, m.qoeLin, m.qoeLog, m.qoeHD,
                           m.bitrateKbps, m.rebufferRatio * 100, m.switches))
                rows.append(["name": name, "qoe_lin": m.qoeLin, "qoe_log": m.qoeLog, "qoe_hd": m.qoeHD,
                             "bitrate_kbps": m.bitrateKbps, "rebuffer_ratio": m.rebufferRatio, "switches": m.switches])
            }
            if json { try printJSON(["traces": loaded.count, "policies": rows]) }
        }

        private func printJSON(_ object: [String: Any]) throws {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }

        /// video_size_0, video_size_1, … : the first field of each line is a chunk size in bytes.
        static func loadVideo(_ folder: String) throws(TraceError) -> ChunkSizes {
            var levels: [[Double]] = []
            while true {
                let file = (folder as NSString).appendingPathComponent("video_size_\(levels.count)")
                guard let data = FileManager.default.contents(atPath: file) else { break }
                var sizes: [Double] = []
                for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    guard let field = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).first else { continue }
                    guard let v = Double(field), v.isFinite, v > 0 else {
                        throw TraceError(file: file, line: i + 1, reason: "expected a chunk size in bytes, got '\(line.prefix(40))'")
                    }
                    sizes.append(v)
                }
                levels.append(sizes)
            }
            guard !levels.isEmpty else { throw TraceError(file: folder, line: 0, reason: "no video_size_0 in the folder") }
            return ChunkSizes(levels: levels)
        }

        private func runLive() throws {
            var ladder = LiveProfile.twitchLadderKbps
            var list = LiveProfile.twitch
            if let profiles {
                do { (ladder, list) = try Self.loadProfiles(profiles) } catch { throw CommandFailure(error.description) }
            }
            let simulator = LiveSimulator(bitratesKbps: ladder, partSeconds: part, targetLatencySeconds: targetLatency)
            let names = policy == "all" ? Policies.liveNames : [policy]
            say("live: \(list.count) profiles; ladder \(ladder.map { "\(Int($0))" }.joined(separator: "/")) kbit/s; parts of \(part) s; target latency \(targetLatency) s")
            say("policy     profile          NQoE  bitrate  latency s  stalls  stall s  speed changes  switches")
            var rows: [[String: Any]] = []
            for name in names {
                var perProfile: [[String: Any]] = []
                var sum = LiveSimulator.Result()
                for profile in list {
                    guard var p = Policies.live(name) else { continue }
                    let r = simulator.run(&p, on: profile)
                    say(name.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + profile.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + String(format: " %9.0f %8.0f %10.2f %7d %8.2f %14d %9d", r.nqoe, r.meanBitrateKbps, r.meanLatencySeconds,
                                 r.stalls, r.stallSeconds, r.speedChanges, r.switches))
                    perProfile.append(["profile": profile.name, "nqoe": r.nqoe, "bitrate_kbps": r.meanBitrateKbps,
                                       "latency_s": r.meanLatencySeconds, "stalls": r.stalls, "stall_s": r.stallSeconds,
                                       "speed_changes": r.speedChanges, "switches": r.switches])
                    sum.nqoe += r.nqoe
                    sum.meanBitrateKbps += r.meanBitrateKbps
                    sum.meanLatencySeconds += r.meanLatencySeconds
                    sum.stalls += r.stalls
                    sum.stallSeconds += r.stallSeconds
                    sum.speedChanges += r.speedChanges
                    sum.switches += r.switches
                }
                let n = Double(max(list.count, 1))
                let nqoe: Double = sum.nqoe / n
                let bitrate: Double = sum.meanBitrateKbps / n
                let latency: Double = sum.meanLatencySeconds / n
                let stalls: Double = Double(sum.stalls) / n
                let stallSeconds: Double = sum.stallSeconds / n
                let speedChanges: Double = Double(sum.speedChanges) / n
                let switches: Double = Double(sum.switches) / n
                let label = name.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + "mean".padding(toLength: 14, withPad: " ", startingAt: 0)
                say(label + String(format: " %9.0f %8.0f %10.2f %7.1f %8.2f %14.1f %9.1f", nqoe, bitrate, latency, stalls, stallSeconds,
                                   speedChanges, switches))
                var row: [String: Any] = ["name": name, "nqoe": nqoe, "bitrate_kbps": bitrate, "latency_s": latency]
                row["stalls"] = stalls
                row["stall_s"] = stallSeconds
                row["speed_changes"] = speedChanges
                row["switches"] = switches
                row["profiles"] = perProfile
                rows.append(row)
            }
            if json { try printJSON(["profiles": list.count, "policies": rows]) }
        }

        /// A profiles file in the format of shared/data/profiles/twitch-mmsys2020.json.
        static func loadProfiles(_ path: String) throws(TraceError) -> ([Double], [LiveProfile]) {
            guard let data = FileManager.default.contents(atPath: path) else { throw TraceError(file: path, line: 0, reason: "cannot read the file") }
            guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw TraceError(file: path, line: 0, reason: "not a JSON object")
            }
            guard let ladder = root["ladder_kbps"] as? [Double], !ladder.isEmpty, ladder.allSatisfy({ $0 > 0 }) else {
                throw TraceError(file: path, line: 0, reason: "'ladder_kbps' must be a list of positive numbers")
            }
            guard let profiles = root["profiles"] as? [String: Any], !profiles.isEmpty else {
                throw TraceError(file: path, line: 0, reason: "'profiles' must be an object of name: [[kbps, seconds], ...]")
            }
            // The file's order is lost in parsing: the challenge's known names first, in its order, then the rest by name.
            let known = LiveProfile.twitch.map(\.name)
            let names = known.filter { profiles[$0] != nil } + profiles.keys.filter { !known.contains($0) }.sorted()
            var list: [LiveProfile] = []
            for name in names {
                guard let steps = profiles[name] as? [[Double]], !steps.isEmpty,
                      steps.allSatisfy({ $0.count == 2 && $0[0] >= 0 && $0[1] > 0 && $0[0].isFinite && $0[1].isFinite }) else {
                    throw TraceError(file: path, line: 0, reason: "profile '\(name)': steps must be [kbps >= 0, seconds > 0]")
                }
                list.append(LiveProfile(name: name, steps: steps.map { (kbps: $0[0], seconds: $0[1]) }))
            }
            return (ladder.sorted(), list)
        }
    }
}

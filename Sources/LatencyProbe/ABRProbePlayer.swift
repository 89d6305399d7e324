import ABR
import Foundation
import HLS
import NIOCore

/// A player without a decoder for `sluice probe --abr`: it reads an LL-HLS ladder the way
/// hls.js does (a blocking playlist reload and one part request per part), lets a live ABR
/// policy pick the rendition of every part, and plays the parts out of a virtual buffer in real
/// time. Stalls, switches, mean bitrate and latency are those of a viewer on this link.
///
/// Latency is wall clock minus the program date-time of the playhead (the newest part's PDT end
/// minus the buffer), so it needs a server that writes EXT-X-PROGRAM-DATE-TIME (Sluice does)
/// and a clock in step with the server's.
public struct ABRProbePlayer: Sendable {
    public var url: URL

    public init(url: URL) {
        self.url = url
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Downloads the policy sees, newest last: the last 8, as the simulator passes (Sources/ABR)
    /// and the hls.js controller keeps.
    public static let keptSamples = 8

    /// Reads for `seconds`; `record` gets every decision with its input (for the parity check).
    public func run<Policy: LivePolicy>(seconds: Double, policy: Policy,
                                        record: (ABRDecisionRecord) -> Void = { _ in }) async throws -> ABRProbeReport {
        let fetch = TimedFetch()
        defer { fetch.close() }
        let top = try await fetch.get(url)
        guard top.status == 200 else { throw Failure(description: "GET \(url): status \(top.status)") }
        let text = String(decoding: top.body, as: UTF8.self)
        guard PlaylistReader.isMultivariant(text), let variants = try? PlaylistReader.multivariant(text), !variants.isEmpty else {
            throw Failure(description: "\(url) is not a multivariant playlist: --abr needs a ladder to switch in")
        }
        let ladder = variants.sorted { $0.bandwidth < $1.bandwidth } // hls.js orders levels the same way
        let playlists = ladder.compactMap { URL(string: $0.uri, relativeTo: url)?.absoluteURL }
        guard playlists.count == ladder.count else { throw Failure(description: "a variant URI in \(url) is not a URL") }
        var state = State(kbps: ladder.map { Double($0.bandwidth) / 1000 }, policy: policy)

        // Start like hls.js: PART-HOLD-BACK behind the newest part of the lowest rendition.
        let first = try await fetch.get(playlists[0])
        guard first.status == 200 else { throw Failure(description: "GET \(playlists[0]): status \(first.status)") }
        let media = try PlaylistReader.media(String(decoding: first.body, as: UTF8.self))
        let listed = ViewerPlaylist(ByteBuffer(bytes: first.body))
        guard !listed.parts.isEmpty else { throw Failure(description: "\(playlists[0]) lists no parts: --abr reads LL-HLS") }
        state.partSeconds = listed.partTarget
        state.targetLatency = media.partHoldBack ?? 3 * listed.partTarget
        let holdBack = Int((state.targetLatency / max(listed.partTarget, 0.05)).rounded(.up))
        let startAt = listed.parts.dropLast(holdBack).last ?? listed.parts[0]
        // Where the next part must start. Renditions are aligned by time, not by sequence number
        // (a transcoded rung starts later than the source), so a switch looks the part up by its
        // program date-time, as hls.js does; on the same rendition the next part follows `last`.
        var lastEnd = startAt.endWallClock
        var last: (msn: Int, index: Int)? = lastEnd == nil ? (startAt.msn, startAt.index) : nil
        var lastLevel: Int? = lastEnd == nil ? 0 : nil

        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        var now = start
        while now < deadline {
            let input = state.input(wallClock: Date().timeIntervalSince1970)
            let decision = state.policy.decide(input)
            record(ABRDecisionRecord(input, decision))
            state.apply(decision)

            // The next part on the chosen rendition: a blocking reload for it (on the same
            // rendition), or the playlist and a lookup by time (after a switch); then the part.
            let sameLevel = lastLevel == state.level && last != nil
            var components = URLComponents(url: playlists[state.level], resolvingAgainstBaseURL: true)
            if sameLevel, let last { components?.percentEncodedQuery = "_HLS_msn=\(last.msn)&_HLS_part=\(last.index + 1)" }
            guard let reload = components?.url else { throw Failure(description: "bad playlist URL \(playlists[state.level])") }
            let playlist = try await fetch.get(reload)
            let parts = ViewerPlaylist(ByteBuffer(bytes: playlist.body))
            if parts.ended { break }
            let next = playlist.status == 200 ? Self.next(in: parts, after: sameLevel ? last : nil, endingAt: lastEnd) : nil
            guard let part = next, let partURL = URL(string: part.uri, relativeTo: playlists[state.level])?.absoluteURL else {
                // Not out yet on this rendition (or a failed reload): wait a part and ask again.
                if playlist.status != 200 { state.errors += 1 }
                if state.errors > 50 { throw Failure(description: "no next part on \(reload) (status \(playlist.status))") }
                try await Task.sleep(for: .milliseconds(Int64(max(state.partSeconds, 0.05) * 1000)))
                state.play(until: ContinuousClock.now, from: &now)
                continue
            }
            let got = try await fetch.get(partURL)
            state.play(until: ContinuousClock.now, from: &now)
            guard got.status == 200 else {
                state.errors += 1
                continue
            }
            state.received(DownloadSample(bytes: Double(got.body.count), firstByteMs: got.firstByteMs,
                                          transferMs: got.transferMs, mediaSeconds: part.duration),
                           endWallClock: part.endWallClock, at: now, start: start)
            last = (part.msn, part.index)
            lastLevel = state.level
            lastEnd = part.endWallClock ?? lastEnd
        }
        return state.report(policy: policy.name, seconds: (now - start).seconds)
    }

    /// The part to fetch next: the one after `last` on the same rendition, else the first that
    /// starts at or after `end` (half a part of slack for timestamps rounded differently per
    /// rendition); nil when the playlist does not list it yet.
    static func next(in playlist: ViewerPlaylist, after last: (msn: Int, index: Int)?, endingAt end: Double?) -> ViewerPlaylist.PartRef? {
        if let last { return playlist.parts(after: last).first }
        guard let end else { return playlist.parts.first }
        return playlist.parts.first { part in
            guard let partEnd = part.endWallClock else { return false }
            return partEnd - part.duration >= end - part.duration / 2
        }
    }

    /// The virtual player: buffer, playhead, and the figures it reports.
    struct State<Policy: LivePolicy> {
        let kbps: [Double]
        var policy: Policy
        var level = 0
        var rate = 1.0
        var buffer = 0.0
        var playing = false
        var started: Duration?
        /// The next part's duration: the playlist's PART-TARGET (a segment's last part is often
        /// much shorter than the others).
        var partSeconds = 0.5
        var targetLatency = 1.5
        var samples: [DownloadSample] = []
        var endWallClock: Double?
        var parts = 0
        var mediaSeconds = 0.0
        var bitrateSeconds = 0.0
        var stalls = 0
        var stallSeconds = 0.0
        var switches = 0
        var rateChanges = 0
        var latencySum = 0.0
        var latencyCount = 0
        var errors = 0

        init(kbps: [Double], policy: Policy) {
            self.kbps = kbps
            self.policy = policy
        }

        /// Playhead latency: now minus the program date-time at the playhead; 0 before any part.
        func latency(wallClock: Double) -> Double {
            guard let endWallClock else { return 0 }
            return wallClock - (endWallClock - buffer)
        }

        func input(wallClock: Double) -> LiveInput {
            LiveInput(bitratesKbps: kbps, currentLevel: level, bufferSeconds: buffer, latencySeconds: latency(wallClock: wallClock),
                      targetLatencySeconds: targetLatency, partSeconds: partSeconds, samples: samples)
        }

        mutating func apply(_ decision: LiveDecision) {
            let next = min(max(decision.level, 0), kbps.count - 1)
            if parts > 0 && next != level { switches += 1 }
            level = next
            let newRate = decision.playbackRate.isFinite ? min(max(decision.playbackRate, 0.5), 2) : 1
            if newRate != rate { rateChanges += 1 }
            rate = newRate
            if playing, let endWallClock {
                latencySum += Date().timeIntervalSince1970 - (endWallClock - buffer)
                latencyCount += 1
            }
        }

        /// Plays the buffer out from `from` to `until`: a stall when it runs dry.
        mutating func play(until: ContinuousClock.Instant, from: inout ContinuousClock.Instant) {
            let elapsed = (until - from).seconds
            from = until
            if playing {
                let wanted = elapsed * rate
                if buffer >= wanted {
                    buffer -= wanted
                } else {
                    stallSeconds += (wanted - buffer) / rate
                    buffer = 0
                    stalls += 1
                    playing = false
                }
            } else if started != nil {
                stallSeconds += elapsed
            }
        }

        mutating func received(_ sample: DownloadSample, endWallClock: Double?, at now: ContinuousClock.Instant,
                               start: ContinuousClock.Instant) {
            samples.append(sample)
            if samples.count > ABRProbePlayer.keptSamples { samples.removeFirst(samples.count - ABRProbePlayer.keptSamples) }
            buffer += sample.mediaSeconds
            self.endWallClock = endWallClock
            parts += 1
            mediaSeconds += sample.mediaSeconds
            bitrateSeconds += kbps[level] * sample.mediaSeconds
            // Playback (re)starts with one part buffered, as hls.js starts on its first part.
            if !playing && buffer > 0 {
                playing = true
                if started == nil { started = now - start }
            }
        }

        func report(policy: String, seconds: Double) -> ABRProbeReport {
            ABRProbeReport(policy: policy, seconds: seconds, levelsKbps: kbps, parts: parts,
                           bitrateKbps: mediaSeconds > 0 ? bitrateSeconds / mediaSeconds : 0,
                           stalls: stalls, stallSeconds: stallSeconds, switches: switches, rateChanges: rateChanges,
                           latencySeconds: latencyCount > 0 ? latencySum / Double(latencyCount) : nil,
                           startupSeconds: started?.seconds, errors: errors)
        }
    }
}

/// What `sluice probe --abr` reports (its `--json` line).
public struct ABRProbeReport: Codable, Sendable, Equatable {
    public var policy: String
    public var seconds: Double
    public var levelsKbps: [Double]
    public var parts: Int
    /// Mean bitrate of the parts fetched, weighted by their duration, kbit/s.
    public var bitrateKbps: Double
    public var stalls: Int
    public var stallSeconds: Double
    public var switches: Int
    public var rateChanges: Int
    /// Mean playhead latency while playing; nil without program date-times.
    public var latencySeconds: Double?
    public var startupSeconds: Double?
    /// Playlist or part requests that failed (retried).
    public var errors: Int

    enum CodingKeys: String, CodingKey {
        case policy, seconds, parts, stalls, switches, errors
        case levelsKbps = "levels_kbps", bitrateKbps = "bitrate_kbps", stallSeconds = "stall_seconds"
        case rateChanges = "rate_changes", latencySeconds = "latency_s", startupSeconds = "startup_s"
    }

    public var text: String {
        func f(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }
        return "\(policy): \(parts) parts in \(f(seconds, 1)) s, mean bitrate \(Int(bitrateKbps.rounded())) kbit/s "
            + "(ladder \(levelsKbps.map { Int($0.rounded()) })), stalls \(stalls) (\(f(stallSeconds)) s), "
            + "switches \(switches), rate changes \(rateChanges), latency \(latencySeconds.map { f($0) + " s" } ?? "n/a"), "
            + "startup \(startupSeconds.map { f($0) + " s" } ?? "n/a")"
            + (errors > 0 ? ", \(errors) failed requests" : "")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

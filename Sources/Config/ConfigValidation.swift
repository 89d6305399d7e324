import Foundation

extension LoadedConfig {
    /// The names `logging.level` takes (swift-log's levels).
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    /// x264's presets (`transcode.preset`).
    public static let x264Presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                                     "veryslow", "placebo"]

    /// Throws the first semantic problem (a port out of range, a bad glob, ...) as a
    /// `ConfigError` naming the key and where it was set. `ladder` says why a ladder string is
    /// not valid (nil: valid); Config cannot parse ladders itself, the Transcode target does.
    public func validate(ladder: (String) -> String? = { _ in nil }) throws {
        if let first = problems(ladder: ladder).first { throw first }
    }

    /// Every semantic problem, in schema order.
    public func problems(ladder: (String) -> String? = { _ in nil }) -> [ConfigError] {
        var out: [ConfigError] = []
        func check(_ ok: Bool, _ key: String, _ reason: @autoclosure () -> String) {
            if !ok { out.append(error(key, reason())) }
        }
        func range<T: Comparable>(_ value: T, _ r: ClosedRange<T>, _ key: String, _ unit: String = "") {
            check(r.contains(value), key, "must be \(r.lowerBound)–\(r.upperBound)\(unit), got \(value)")
        }
        func positive(_ value: Double, _ key: String, max: Double = 86_400) {
            check(value > 0 && value <= max, key, "must be above 0 and at most \(Int(max)) seconds, got \(value)")
        }
        let c = config

        let l = c.listeners
        check(!l.host.trimmingCharacters(in: .whitespaces).isEmpty, "listeners.host", "must name an address, e.g. 0.0.0.0")
        range(l.rtmp.port, 0...65535, "listeners.rtmp.port")
        range(l.srt.port, 0...65535, "listeners.srt.port")
        range(l.http.port, 0...65535, "listeners.http.port")
        // SRT is UDP, so only RTMP and HTTP (both TCP) can clash.
        if l.rtmp.enabled && l.rtmp.port != 0 && l.rtmp.port == l.http.port {
            // Blame the one that was set (a default is nobody's line).
            let httpSet = origins["listeners.http.port"] != nil
            out.append(httpSet ? error("listeners.http.port", "is the same TCP port as listeners.rtmp.port (\(l.http.port))")
                               : error("listeners.rtmp.port", "is the same TCP port as listeners.http.port (\(l.rtmp.port))"))
        }
        range(l.srt.latencyMs, 20...8000, "listeners.srt.latencyMs", " ms")
        if let p = l.srt.passphrase {
            check((10...79).contains(p.count), "listeners.srt.passphrase", "must be 10 to 79 characters (libsrt's limit), got \(p.count)")
        }

        check(Self.logLevels.contains(c.logging.level), "logging.level",
              "unknown level '\(c.logging.level)' (one of \(Self.logLevels.joined(separator: ", ")))")

        let h = c.hls
        range(h.targetDurationSeconds, 1...30, "hls.targetDurationSeconds", " s")
        check(h.partSeconds >= 0.05 && h.partSeconds <= Double(max(1, h.targetDurationSeconds)), "hls.partSeconds",
              "must be 0.05 s up to hls.targetDurationSeconds (\(h.targetDurationSeconds)), got \(h.partSeconds)")
        check(h.partHoldBackParts >= 2 && h.partHoldBackParts <= 10, "hls.partHoldBackParts",
              "must be 2–10 (the spec's PART-HOLD-BACK is at least 2 parts), got \(h.partHoldBackParts)")
        check(h.segmentMinimumSeconds > 0 && h.segmentMinimumSeconds <= Double(max(1, h.targetDurationSeconds)),
              "hls.segmentMinimumSeconds",
              "must be above 0 and at most hls.targetDurationSeconds (\(h.targetDurationSeconds)), got \(h.segmentMinimumSeconds)")
        positive(h.playlistWindowSeconds, "hls.playlistWindowSeconds", max: 3600)
        check(h.dvrWindowSeconds >= 0 && h.dvrWindowSeconds <= 86_400, "hls.dvrWindowSeconds",
              "must be 0 (off) up to 86400 seconds, got \(h.dvrWindowSeconds)")
        let r = c.recording
        check(!r.directory.trimmingCharacters(in: .whitespaces).isEmpty, "recording.directory", "must name a directory")
        check(r.maxAgeHours >= 0 && r.maxAgeHours <= 87_600, "recording.maxAgeHours", "must be 0 (keep) up to 87600, got \(r.maxAgeHours)")
        range(r.maxTotalMiB, 0...(1 << 30), "recording.maxTotalMiB", " MiB")
        check(r.resumeWindowSeconds >= 0 && r.resumeWindowSeconds <= 86_400, "recording.resumeWindowSeconds",
              "must be 0–86400 seconds, got \(r.resumeWindowSeconds)")
        range(r.queueMiB, 1...4096, "recording.queueMiB", " MiB")
        range(h.startBandwidthKbps, 0...1_000_000, "hls.startBandwidthKbps", " kbit/s")
        check(h.endGraceSeconds >= 0 && h.endGraceSeconds <= 3600, "hls.endGraceSeconds",
              "must be 0–3600 seconds, got \(h.endGraceSeconds)")
        range(h.maxRetainedMiB, 1...65_536, "hls.maxRetainedMiB", " MiB")

        let t = c.transcode
        if let spec = t.ladder, let why = ladder(spec) { out.append(error("transcode.ladder", why)) }
        check(Self.x264Presets.contains(t.preset), "transcode.preset",
              "unknown x264 preset '\(t.preset)' (one of \(Self.x264Presets.joined(separator: ", ")))")
        positive(t.gopSeconds, "transcode.gopSeconds", max: 20)

        for (i, rule) in c.paths.enumerated() {
            if let why = PathGlob.problem(in: rule.match) { out.append(error("paths[\(i)].match", why)) }
            if let spec = rule.ladder, let why = ladder(spec) { out.append(error("paths[\(i)].ladder", why)) }
            if let publish = rule.publish { secrets(publish, "paths[\(i)].publish", &out) }
            if let play = rule.play, let s = play.signingSecret {
                check(!s.isEmpty, "paths[\(i)].play.signingSecret", "must not be empty (leave it out for none)")
            }
            if let url = rule.pull {
                check(url.contains("://") && url.utf8.count <= 2048, "paths[\(i)].pull", "must be a URL such as rtmp://origin/{path}, got '\(url)'")
            }
            if rule.pullAlways == true {
                check(!rule.match.contains("*"), "paths[\(i)].pullAlways", "needs an exact path in match (a glob names no stream to start)")
            }
            if let idle = rule.pullIdleSeconds { positive(idle, "paths[\(i)].pullIdleSeconds", max: 86_400) }
            for (j, url) in (rule.forward ?? []).enumerated() {
                let scheme = url.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
                check(["rtmp", "rtmps", "srt"].contains(scheme) && url.contains("://"), "paths[\(i)].forward[\(j)]",
                      "must be an rtmp://, rtmps:// or srt:// URL, got '\(url)'")
            }
        }

        secrets(c.auth.publish, "auth.publish", &out)
        if let s = c.auth.play.signingSecret { check(!s.isEmpty, "auth.play.signingSecret", "must not be empty (leave it out for none)") }
        let w = c.auth.webhook
        if let url = w.url {
            let parsed = URL(string: url)
            check(["http", "https"].contains(parsed?.scheme?.lowercased() ?? "") && !(parsed?.host ?? "").isEmpty,
                  "auth.webhook.url", "must be an http:// or https:// URL, got '\(url)'")
        }
        range(w.timeoutMs, 1...60_000, "auth.webhook.timeoutMs", " ms")
        for (i, action) in w.actions.enumerated() where !["publish", "play"].contains(action) {
            out.append(error("auth.webhook.actions[\(i)]", "unknown action '\(action)' (publish or play)"))
        }

        let m = c.limits
        range(m.maxConnectionsPerIP, 1...1_000_000, "limits.maxConnectionsPerIP")
        range(m.maxPublishers, 1...1_000_000, "limits.maxPublishers")
        range(m.maxRTMPConnections, 1...1_000_000, "limits.maxRTMPConnections")
        range(m.maxHTTPConnections, 0...1_000_000, "limits.maxHTTPConnections")
        range(m.maxHTTPRequestBytes, 1024...(1 << 20), "limits.maxHTTPRequestBytes", " bytes")
        positive(m.httpIdleSeconds, "limits.httpIdleSeconds")
        positive(m.publisherIdleSeconds, "limits.publisherIdleSeconds")

        range(c.analytics.exactUniqueViewers, 0...10_000_000, "analytics.exactUniqueViewers")
        positive(c.analytics.viewerTimeoutSeconds, "analytics.viewerTimeoutSeconds")
        check(!c.clips.enabled || !c.clips.directory.trimmingCharacters(in: .whitespaces).isEmpty, "clips.directory",
              "must name a directory")
        range(c.clips.maxClips, 1...1_000_000, "clips.maxClips")
        range(c.clips.maxTotalMiB, 1...16_777_216, "clips.maxTotalMiB", " MiB")
        positive(c.clips.maxSpanSeconds, "clips.maxSpanSeconds", max: 86_400)
        range(c.clips.maxConcurrent, 1...64, "clips.maxConcurrent")
        range(c.webrtc.port, 0...65535, "webrtc.port")
        range(c.webrtc.maxSessions, 1...100_000, "webrtc.maxSessions")
        range(c.webrtc.playoutDelayMs, -1...40_950, "webrtc.playoutDelayMs", " ms")
        return out
    }

    private func secrets(_ publish: SluiceConfig.PublishAuth, _ key: String, _ out: inout [ConfigError]) {
        for (i, k) in publish.keys.enumerated() where k.isEmpty {
            out.append(error("\(key).keys[\(i)]", "must not be empty"))
        }
        if let s = publish.hmacSecret, s.isEmpty {
            out.append(error("\(key).hmacSecret", "must not be empty (leave it out for none)"))
        }
    }
}

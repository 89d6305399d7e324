import Foundation
import Yams

/// What a reload did: the keys whose new values are in effect, and those that changed in the
/// file but apply only when Sluice starts (listeners, HLS timing, start-time limits).
public struct ReloadReport: Codable, Sendable, Equatable {
    public var applied: [String]
    public var needsRestart: [String]

    public init(applied: [String] = [], needsRestart: [String] = []) {
        self.applied = applied
        self.needsRestart = needsRestart
    }
}

extension SluiceConfig {
    /// Keys (and sections) read only when Sluice starts: a reload leaves them as they run.
    public static let startOnlyKeys = [
        "listeners", "hls", "transcode.playerAdaptation", "limits.maxRTMPConnections", "limits.maxHTTPConnections",
        "limits.maxHTTPRequestBytes", "limits.httpIdleSeconds", "limits.publisherIdleSeconds", "metrics.enabled",
        "dashboard.enabled", "dashboard.hlsjsPath", "clips.maxConcurrent",
        "recording.directory", "recording.renditions", "recording.maxAgeHours",
        "recording.maxTotalMiB", "recording.resumeWindowSeconds", "recording.queueMiB",
        "webrtc",
    ]

    /// `self` with every start-only key taken from `running`: what a reload installs.
    public func keepingStartOnly(from running: SluiceConfig) -> SluiceConfig {
        var c = self
        c.listeners = running.listeners
        c.hls = running.hls
        c.transcode.playerAdaptation = running.transcode.playerAdaptation
        c.limits.maxRTMPConnections = running.limits.maxRTMPConnections
        c.limits.maxHTTPConnections = running.limits.maxHTTPConnections
        c.limits.maxHTTPRequestBytes = running.limits.maxHTTPRequestBytes
        c.limits.httpIdleSeconds = running.limits.httpIdleSeconds
        c.limits.publisherIdleSeconds = running.limits.publisherIdleSeconds
        c.metrics.enabled = running.metrics.enabled
        c.dashboard.enabled = running.dashboard.enabled
        c.dashboard.hlsjsPath = running.dashboard.hlsjsPath
        c.clips.maxConcurrent = running.clips.maxConcurrent
        let recordingEnabled = c.recording.enabled
        c.recording = running.recording
        c.recording.enabled = recordingEnabled
        c.webrtc = running.webrtc
        return c
    }

    /// The key paths (`listeners.rtmp.port`, `paths[0].ladder`) whose values differ from `other`'s.
    public func changedKeys(from other: SluiceConfig) -> [String] {
        let a = flattened(), b = other.flattened()
        return Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }

    /// Every scalar as key path → its YAML text; a list of scalars is one entry.
    func flattened() -> [String: String] {
        guard let yaml = try? YAMLEncoder().encode(self), let root = try? Yams.compose(yaml: yaml) else { return [:] }
        var out: [String: String] = [:]
        func walk(_ node: Node, _ path: String) {
            switch node {
            case .mapping(let m):
                for (k, v) in m { walk(v, path.isEmpty ? (k.string ?? "") : "\(path).\(k.string ?? "")") }
            case .sequence(let s):
                if s.isEmpty {
                    break // an empty list differs from a full one by the full one's keys
                } else if s.allSatisfy({ if case .scalar = $0 { true } else { false } }) {
                    out[path] = "[" + s.map { $0.string ?? "" }.joined(separator: ", ") + "]"
                } else {
                    for (i, item) in s.enumerated() { walk(item, "\(path)[\(i)]") }
                }
            case .scalar(let s): out[path] = s.string
            case .alias: break
            }
        }
        walk(root, "")
        return out
    }
}

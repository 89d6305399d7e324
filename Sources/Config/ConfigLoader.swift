import Foundation
import Yams

/// Reads the configuration: built-in defaults < the YAML file < `SLUICE_*` environment
/// variables (the command line's flags come last, in `sluice serve`).
///
/// Environment names: `SLUICE_` + the key path's keys, camelCase split into words, joined by
/// `_` and upper-cased: `listeners.rtmp.port` → `SLUICE_LISTENERS_RTMP_PORT`,
/// `limits.maxHTTPRequestBytes` → `SLUICE_LIMITS_MAX_HTTP_REQUEST_BYTES`. A list takes
/// comma-separated items (`SLUICE_AUTH_PUBLISH_KEYS=a,b`). Keys inside `paths` have none.
public enum ConfigLoader {
    /// Loads `yaml` (an empty document is the defaults). Throws `ConfigError` naming the key,
    /// the line and the reason; does not run `validate` (call it after applying flags).
    public static func load(yaml: String, fileName: String = "config", environment: [String: String] = [:]) throws -> LoadedConfig {
        var root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw yamlError(error, fileName: fileName)
        }
        let log = DecodeLog(fileName: fileName)
        for key in schemaKeys {
            let name = environmentName(for: key.path)
            guard let value = environment[name] else { continue }
            let node: Node
            switch key.kind {
            case .list:
                let items = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                node = Node(items.map { Node($0, .implicit, .doubleQuoted) })
            case .string:
                node = Node(value, .implicit, .doubleQuoted) // an empty string stays a string, never null
            case .value:
                node = Node(value, .implicit, .plain)
            }
            root = inject(root, key.path[...], node)
            log.environment[key.keyPath] = name
            log.origins[key.keyPath] = .environment(name)
        }
        let decoder = StrictDecoder(node: root, defaults: StrictDecoder.defaultNode(SluiceConfig.self), path: [],
                                    origin: .file(name: fileName, line: 1), log: log)
        let config = try decoder.decodeValue(SluiceConfig.self)
        return LoadedConfig(config: config, origins: log.origins)
    }

    /// Reads and loads the file at `path`.
    public static func load(contentsOf path: String, environment: [String: String] = [:]) throws -> LoadedConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(keyPath: "", origin: .flag("--config"), reason: "cannot read \(path): \((error as NSError).localizedDescription)")
        }
        return try load(yaml: text, fileName: path, environment: environment)
    }

    /// The effective configuration as YAML that loads back to the same value.
    public static func yaml(_ config: SluiceConfig) throws -> String {
        // Yams writes 0.25 as 2.5e-1: rewrite floats as plain decimals for a file people edit.
        var root = try Yams.compose(yaml: YAMLEncoder().encode(config)) ?? Node([(Node, Node)]())
        root = plainFloats(root)
        let body = try Yams.serialize(node: root, sortKeys: false)
        return """
        # Sluice configuration (`sluice serve --print-config`): every key is optional and takes the
        # default shown; see Docs/Operations.md#configuration. Load it with `sluice serve --config FILE`.

        """ + withUnsetKeys(body, config: config)
    }

    /// What the optional keys that are not set mean, shown as comments where they would go.
    static let unsetHints: [String: String] = [
        "listeners.srt.passphrase": "10–79 characters; every SRT caller must use it",
        "api.token": "bearer token for /api/v1; absent: generated at start and printed; \"\" turns the check off",
        "transcode.ladder": "720p:3000k,480p:1200k,360p:700k (absent: this built-in ladder)",
        "auth.publish.hmacSecret": "secret for HMAC publish tokens (`sluice token`)",
        "auth.play.signingSecret": "secret for signed play URLs",
        "auth.webhook.url": "https://auth.example/on_publish (asked to allow each publish/play)",
        "dashboard.hlsjsPath": "path to hls.js (absent: .build/players/hls.js)",
        "clips.recordingDirectory": "recordings to cut older ranges from (absent: recording.directory)",
        "webrtc.advertisedIP": "public IP written into SDP answers (absent: the address the request arrived on)",
    ]

    /// `yaml` (as Yams prints it: two spaces per level) with a comment line for each optional key
    /// left unset, at the end of its section, and an example under `paths: []`.
    static func withUnsetKeys(_ yaml: String, config: SluiceConfig) -> String {
        let set = config.flattened()
        var pending: [String: [String]] = [:] // section path → comment lines
        for key in schemaKeys where set[key.keyPath] == nil && key.kind != .list {
            let section = key.path.dropLast().joined(separator: ".")
            pending[section, default: []].append("# \(key.path.last ?? ""): \(unsetHints[key.keyPath] ?? "not set")")
        }
        var out: [String] = []
        var stack: [(key: String, indent: Int)] = []
        func close(downTo indent: Int) {
            while let top = stack.last, top.indent >= indent {
                stack.removeLast()
                let path = (stack.map(\.key) + [top.key]).joined(separator: ".")
                for line in pending.removeValue(forKey: path) ?? [] {
                    out.append(String(repeating: " ", count: top.indent + 2) + line)
                }
            }
        }
        for var line in yaml.split(separator: "\n").map(String.init) {
            let indent = line.prefix { $0 == " " }.count
            let trimmed = line.dropFirst(indent)
            if !trimmed.hasPrefix("-") { close(downTo: indent) }
            // `api: {}` with hints below: print `api:` (null is an empty section), so a hint can be uncommented.
            if trimmed.hasSuffix(": {}") {
                let path = (stack.map(\.key) + [String(trimmed.dropLast(4))]).joined(separator: ".")
                if pending[path] != nil { line = String(line.dropLast(3)) }
            }
            out.append(line)
            if trimmed == "paths: []" {
                out.append("# - match: live/*        # `*` one path segment, `**` any number; the first match wins")
                out.append("#   ladder: 480p:1200k,360p:700k")
                out.append("#   transcode: false")
            }
            if let colon = trimmed.firstIndex(of: ":"), !trimmed.hasPrefix("-"), !trimmed.hasPrefix("#") {
                stack.append((String(trimmed[..<colon]), indent))
            }
        }
        close(downTo: 0)
        return out.joined(separator: "\n") + "\n"
    }

    static func plainFloats(_ node: Node) -> Node {
        switch node {
        case .mapping(let m):
            return Node(m.map { ($0.key, plainFloats($0.value)) }, m.tag, m.style)
        case .sequence(let s):
            return Node(s.map(plainFloats), s.tag, s.style)
        case .scalar(let s) where s.style == .plain || s.style == .any:
            guard node.tag.rawValue == Tag.Name.float.rawValue, let v = Double.construct(from: s), v.isFinite else { return node }
            return Node("\(v)", s.tag, s.style)
        default:
            return node
        }
    }

    /// Every key an environment variable can set, in schema order.
    public static let schemaKeys: [SchemaKey] = {
        let log = DecodeLog(fileName: "defaults")
        let decoder = StrictDecoder(node: nil, defaults: StrictDecoder.defaultNode(SluiceConfig.self), path: [],
                                    origin: .defaultValue, log: log)
        _ = try? decoder.decodeValue(SluiceConfig.self)
        return log.scalarKeys
    }()

    /// `["limits", "maxHTTPRequestBytes"]` → `SLUICE_LIMITS_MAX_HTTP_REQUEST_BYTES`.
    public static func environmentName(for path: [String]) -> String {
        "SLUICE_" + path.map(words).joined(separator: "_")
    }

    /// camelCase → CAMEL_CASE; an acronym stays one word (`maxHTTPRequestBytes` → MAX_HTTP_REQUEST_BYTES).
    static func words(_ key: String) -> String {
        let chars = Array(key.replacingOccurrences(of: "MiB", with: "Mib")) // a unit, one word
        var out = ""
        for (i, c) in chars.enumerated() {
            if i > 0, c.isUppercase {
                let previous = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { out.append("_") }
            }
            out.append(contentsOf: c.uppercased())
        }
        return out
    }

    /// Sets `keys` in the mapping `root` to `value`, making the mappings on the way.
    static func inject(_ root: Node?, _ keys: ArraySlice<String>, _ value: Node) -> Node {
        guard let key = keys.first else { return value }
        var pairs: [(Node, Node)] = []
        if case .mapping(let m)? = root { pairs = m.map { ($0.key, $0.value) } }
        if let i = pairs.firstIndex(where: { $0.0.string == key }) {
            pairs[i].1 = inject(pairs[i].1, keys.dropFirst(), value)
        } else {
            pairs.append((Node(key), inject(nil, keys.dropFirst(), value)))
        }
        return Node(pairs)
    }

    static func yamlError(_ error: YamlError, fileName: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(keyPath: "", origin: .file(name: fileName, line: mark.line), reason: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(keyPath: "", origin: .file(name: fileName, line: context.mark.line),
                               reason: "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", "))")
        default:
            return ConfigError(keyPath: "", origin: .file(name: fileName, line: 1), reason: "not valid YAML: \(error)")
        }
    }
}

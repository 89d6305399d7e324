import Foundation
import Config
import Testing

@Suite struct LoaderTests {
    private func load(_ yaml: String, env: [String: String] = [:]) throws -> LoadedConfig {
        try ConfigLoader.load(yaml: yaml, fileName: "test.yaml", environment: env)
    }

    /// The error `yaml` fails with, loading or validating.
    private func failure(_ yaml: String, env: [String: String] = [:], ladder: (String) -> String? = { _ in nil }) -> ConfigError? {
        do {
            try load(yaml, env: env).validate(ladder: ladder)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("not a ConfigError: \(error)")
            return nil
        }
    }

    @Test func anEmptyFileIsTheDefaults() throws {
        #expect(try load("").config == SluiceConfig())
        #expect(try load("# nothing\n").config == SluiceConfig())
        #expect(try load("listeners:\n").config == SluiceConfig())
    }

    @Test func missingKeysTakeTheirDefaults() throws {
        let c = try load("""
        listeners:
          rtmp:
            port: 1936
        paths:
          - match: shop/**
            publish:
              hmacSecret: s3cret
        """).config
        var expected = SluiceConfig()
        expected.listeners.rtmp.port = 1936
        var rule = SluiceConfig.PathRule(match: "shop/**")
        var publish = SluiceConfig.PublishAuth()
        publish.hmacSecret = "s3cret"
        rule.publish = publish
        expected.paths = [rule]
        #expect(c == expected)
    }

    @Test func printedConfigurationLoadsBackTheSame() throws {
        var c = SluiceConfig()
        c.listeners.rtmp.port = 0
        c.listeners.srt.passphrase = "1234567890" // digits only: must stay a string
        c.api.token = ""
        c.hls.partSeconds = 0.3
        c.transcode.ladder = "720p:3000k,360p:700k"
        var rule = SluiceConfig.PathRule(match: "live/*")
        rule.transcode = false
        rule.ladder = "480p:1200k"
        c.paths = [rule, SluiceConfig.PathRule(match: "**")]
        c.auth.publish.keys = ["yes", "null", "a: b"]
        c.auth.webhook.url = "https://hooks.example/on_publish"
        let text = try ConfigLoader.yaml(c)
        #expect(try load(text).config == c)
        #expect(try load(ConfigLoader.yaml(SluiceConfig())).config == SluiceConfig())
    }

    @Test func unknownKeysNameTheKeyTheLineAndANearMatch() {
        let e = failure("""
        listeners:
          rtmp:
            prot: 1936
        """)
        #expect(e?.keyPath == "listeners.rtmp.prot")
        #expect(e?.line == 3)
        #expect(e?.reason == "unknown key 'prot' (did you mean 'port'?)")
        #expect(e?.description == "test.yaml:3: listeners.rtmp.prot: unknown key 'prot' (did you mean 'port'?)")
        let top = failure("logging:\n  level: info\nlistenrs: {}\n")
        #expect(top?.keyPath == "listenrs" && top?.line == 3 && top?.reason.contains("did you mean 'listeners'") == true)
        let inRule = failure("paths:\n  - match: live/*\n    ladr: 720p:3000k\n")
        #expect(inRule?.keyPath == "paths[0].ladr" && inRule?.line == 3)
    }

    @Test func wrongTypesSayWhatWasExpected() {
        let e = failure("listeners:\n  rtmp:\n    port: abc\n")
        #expect(e?.keyPath == "listeners.rtmp.port" && e?.line == 3 && e?.reason == "expected an integer, got 'abc'")
        let b = failure("transcode:\n  enabled: maybe\n")
        #expect(b?.keyPath == "transcode.enabled" && b?.line == 2 && b?.reason.hasPrefix("expected true or false") == true)
        let m = failure("listeners: 5\n")
        #expect(m?.keyPath == "listeners" && m?.line == 1 && m?.reason.hasPrefix("expected a mapping") == true)
        let l = failure("auth:\n  publish:\n    keys: abc\n")
        #expect(l?.keyPath == "auth.publish.keys" && l?.line == 3 && l?.reason.hasPrefix("expected a list") == true)
        let r = failure("paths:\n  - transcode: false\n")
        #expect(r?.keyPath == "paths[0].match" && r?.line == 2 && r?.reason == "missing (required)")
    }

    @Test func badYAMLNamesTheLine() {
        let e = failure("listeners:\n  rtmp: [1, 2\nlogging: {}\n")
        #expect(e?.line != nil && e?.reason.hasPrefix("not valid YAML") == true)
        let d = failure("hls:\n  partSeconds: 0.3\n  partSeconds: 0.4\n")
        #expect(d?.reason.contains("duplicate key 'partSeconds'") == true)
    }

    /// One case per semantic check: the key, the line and the reason.
    @Test(arguments: [
        ("listeners:\n  rtmp:\n    port: 70000\n", "listeners.rtmp.port", 3, "must be 0–65535, got 70000"),
        ("listeners:\n  srt:\n    port: -1\n", "listeners.srt.port", 3, "must be 0–65535, got -1"),
        ("listeners:\n  rtmp:\n    port: 8000\n  http:\n    port: 8000\n", "listeners.http.port", 5,
         "is the same TCP port as listeners.rtmp.port (8000)"),
        ("listeners:\n  srt:\n    latencyMs: 10\n", "listeners.srt.latencyMs", 3, "must be 20–8000 ms, got 10"),
        ("listeners:\n  srt:\n    passphrase: short\n", "listeners.srt.passphrase", 3,
         "must be 10 to 79 characters (libsrt's limit), got 5"),
        ("logging:\n  level: loud\n", "logging.level", 2,
         "unknown level 'loud' (one of trace, debug, info, notice, warning, error, critical)"),
        ("hls:\n  partSeconds: 5\n", "hls.partSeconds", 2, "must be 0.05 s up to hls.targetDurationSeconds (2), got 5.0"),
        ("hls:\n  targetDurationSeconds: 0\n", "hls.targetDurationSeconds", 2, "must be 1–30 s, got 0"),
        ("hls:\n  maxRetainedMiB: 0\n", "hls.maxRetainedMiB", 2, "must be 1–65536 MiB, got 0"),
        ("transcode:\n  preset: speedy\n", "transcode.preset", 2,
         "unknown x264 preset 'speedy' (one of ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo)"),
        ("transcode:\n  gopSeconds: 0\n", "transcode.gopSeconds", 2, "must be above 0 and at most 20 seconds, got 0.0"),
        ("limits:\n  httpIdleSeconds: -1\n", "limits.httpIdleSeconds", 2, "must be above 0 and at most 86400 seconds, got -1.0"),
        ("limits:\n  maxPublishers: 0\n", "limits.maxPublishers", 2, "must be 1–1000000, got 0"),
        ("paths:\n  - match: live/*\n  - match: ''\n", "paths[1].match", 3, "must be a non-empty glob like live/* or shop/**"),
        ("paths:\n  - match: live/a**\n", "paths[0].match", 2, "** must be a whole segment"),
        ("auth:\n  webhook:\n    url: ftp://x/y\n", "auth.webhook.url", 3, "must be an http:// or https:// URL, got 'ftp://x/y'"),
        ("auth:\n  webhook:\n    actions: [publish, watch]\n", "auth.webhook.actions[1]", 3, "unknown action 'watch' (publish or play)"),
    ])
    func eachSemanticErrorNamesKeyAndLine(yaml: String, key: String, line: Int, reason: String) {
        let e = failure(yaml)
        #expect(e?.keyPath == key)
        #expect(e?.line == line)
        #expect(e?.reason == reason)
    }

    @Test func aPortClashBlamesTheKeyThatWasSet() {
        let e = failure("listeners:\n  rtmp:\n    port: 8080\n")
        #expect(e?.description == "test.yaml:3: listeners.rtmp.port: is the same TCP port as listeners.http.port (8080)")
    }

    @Test func ladderErrorsComeFromTheCheckerWithTheirLine() {
        let bad: (String) -> String? = { $0.contains("zz") ? "bad bitrate \"zz\"" : nil }
        let top = failure("transcode:\n  ladder: 720p:zz\n", ladder: bad)
        #expect(top?.keyPath == "transcode.ladder" && top?.line == 2 && top?.reason == "bad bitrate \"zz\"")
        let rule = failure("paths:\n  - match: live/*\n  - match: shop/**\n    ladder: 360p:zz\n", ladder: bad)
        #expect(rule?.keyPath == "paths[1].ladder" && rule?.line == 4)
    }

    @Test func environmentOverridesTheFileAndFlagsOverrideBoth() throws {
        let yaml = "listeners:\n  rtmp:\n    port: 1940\nlogging:\n  level: debug\n"
        var loaded = try load(yaml, env: [
            "SLUICE_LISTENERS_RTMP_PORT": "1936", "SLUICE_API_TOKEN": "", "SLUICE_LIMITS_MAX_HTTP_REQUEST_BYTES": "4096",
            "SLUICE_AUTH_PUBLISH_KEYS": "a, b", "SLUICE_UNRELATED": "x",
        ])
        #expect(loaded.config.listeners.rtmp.port == 1936)
        #expect(loaded.config.logging.level == "debug") // file, no variable
        #expect(loaded.config.api.token == "") // empty stays a string ("off"), not null
        #expect(loaded.config.limits.maxHTTPRequestBytes == 4096)
        #expect(loaded.config.auth.publish.keys == ["a", "b"])
        #expect(loaded.origin(of: "listeners.rtmp.port") == .environment("SLUICE_LISTENERS_RTMP_PORT"))
        #expect(loaded.origin(of: "logging.level") == .file(name: "test.yaml", line: 5))
        loaded.override(\.listeners.rtmp.port, with: 1950, keyPath: "listeners.rtmp.port", flag: "--rtmp-port")
        #expect(loaded.config.listeners.rtmp.port == 1950)
        #expect(loaded.origin(of: "listeners.rtmp.port") == .flag("--rtmp-port"))

        let e = failure("", env: ["SLUICE_LISTENERS_SRT_LATENCY_MS": "fast"])
        #expect(e?.description == "environment SLUICE_LISTENERS_SRT_LATENCY_MS: listeners.srt.latencyMs: expected an integer, got 'fast'")
    }

    @Test func environmentNamesFollowTheRule() {
        #expect(ConfigLoader.environmentName(for: ["listeners", "rtmp", "port"]) == "SLUICE_LISTENERS_RTMP_PORT")
        #expect(ConfigLoader.environmentName(for: ["limits", "maxHTTPRequestBytes"]) == "SLUICE_LIMITS_MAX_HTTP_REQUEST_BYTES")
        #expect(ConfigLoader.environmentName(for: ["limits", "maxConnectionsPerIP"]) == "SLUICE_LIMITS_MAX_CONNECTIONS_PER_IP")
        #expect(ConfigLoader.environmentName(for: ["hls", "legacyTS"]) == "SLUICE_HLS_LEGACY_TS")
        #expect(ConfigLoader.environmentName(for: ["hls", "maxRetainedMiB"]) == "SLUICE_HLS_MAX_RETAINED_MIB")
        let keys = ConfigLoader.schemaKeys.map(\.keyPath)
        #expect(keys.contains("api.token") && keys.contains("listeners.srt.passphrase") && keys.contains("auth.webhook.actions"))
        #expect(!keys.contains { $0.hasPrefix("paths") })
    }

    @Test func reloadDiffsSplitAppliedFromRestart() {
        let running = SluiceConfig()
        var file = running
        file.listeners.rtmp.port = 1999
        file.logging.level = "debug"
        file.paths = [SluiceConfig.PathRule(match: "live/*")]
        let installed = file.keepingStartOnly(from: running)
        #expect(installed.changedKeys(from: running) == ["logging.level", "paths[0].match"])
        #expect(file.changedKeys(from: installed) == ["listeners.rtmp.port"])
    }
}

@Suite struct GlobTests {
    @Test(arguments: [
        ("live/*", "live/demo", true), ("live/*", "live/a/b", false), ("live/*", "live", false),
        ("live/**", "live", true), ("live/**", "live/a/b/c", true), ("**", "x/y", true),
        ("shop/**/main", "shop/main", true), ("shop/**/main", "shop/a/b/main", true), ("shop/**/main", "shop/a/b", false),
        ("live/flagship", "live/flagship", true), ("live/flagship", "live/flagships", false),
        ("*/cam*", "live/cam1", true), ("*/cam*", "live/xcam", false), ("live/*-hd", "live/show-hd", true),
        ("/live/*/", "live/demo", true), ("*", "live/demo", false),
    ])
    func matches(pattern: String, path: String, expected: Bool) {
        #expect(PathGlob(pattern).matches(path) == expected)
    }

    @Test func theFirstMatchingRuleWins() {
        var c = SluiceConfig()
        var a = SluiceConfig.PathRule(match: "live/flagship")
        a.ladder = "1080p:6000k"
        var b = SluiceConfig.PathRule(match: "live/*")
        b.transcode = false
        c.paths = [a, b]
        #expect(c.rule(for: "live/flagship")?.ladder == "1080p:6000k")
        #expect(c.rule(for: "live/other")?.transcode == false)
        #expect(c.rule(for: "shop/x") == nil)
    }
}

/// The sample file and the reference in Docs/Operations.md stay true to the schema.
@Suite struct ConfigDocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theSampleFileLoadsAndIsValid() throws {
        let path = Self.root.appendingPathComponent("Deploy/sluice.yaml").path
        let loaded = try ConfigLoader.load(contentsOf: path)
        try loaded.validate()
        #expect(loaded.config.paths.count == 3)
        #expect(loaded.config.rule(for: "shop/a/b")?.ladder == "480p:1200k,360p:700k")
    }

    @Test func theReferenceListsEveryKeyWithItsVariable() throws {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("Docs/Operations.md"), encoding: .utf8)
        let missing = ConfigLoader.schemaKeys.filter {
            !docs.contains("| `\($0.keyPath)` |") || !docs.contains("`\(ConfigLoader.environmentName(for: $0.path))`")
        }
        #expect(missing.isEmpty, "document in Docs/Operations.md#configuration-reference: \(missing.map(\.keyPath))")
    }
}

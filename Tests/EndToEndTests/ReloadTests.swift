import Config
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Server
import Testing
import TestSupport

/// `SluiceServer.reload(from:)` and `POST /api/v1/reload` on an in-process server.
@Suite(.serialized) struct ReloadTests {
    /// What the reload source answers next: a configuration, or the error of an invalid file.
    final class Source: @unchecked Sendable { // `next` only under `lock` (NSLock: ThreadSanitizer sees it)
        private let lock = NSLock()
        private var next: Result<SluiceConfig, ConfigError>
        init(_ config: SluiceConfig) { next = .success(config) }
        func set(_ r: Result<SluiceConfig, ConfigError>) { lock.withLock { next = r } }
        func read() throws -> SluiceConfig { try lock.withLock { next }.get() }
    }

    static func server(_ file: SluiceConfig, source: Source) throws -> SluiceServer {
        var file = file
        file.listeners.host = "127.0.0.1"
        file.listeners.rtmp.port = 0
        file.listeners.srt.port = 0
        file.listeners.http.port = 0
        file.transcode.enabled = false
        var configuration = try SluiceServerConfiguration(file: file)
        configuration.reloadSource = { try source.read() }
        return SluiceServer(configuration: configuration, logger: Logger(label: "reload-test"))
    }

    @Test func reloadAppliesDecisionTimeKeysReportsStartOnlyOnesAndKeepsTheToken() throws {
        var file = SluiceConfig()
        file.api.token = "operator-token"
        let server = try Self.server(file, source: Source(file))
        let running = server.config.current
        var next = running
        next.api.token = nil // keeps the current token
        next.logging.level = "warning"
        next.listeners.rtmp.port = 1999
        next.hls.partSeconds = 0.5
        next.paths = [SluiceConfig.PathRule(match: "live/*")]
        let report = server.reload(from: next)
        defer { SluiceLogLevel.shared.level = .info }
        #expect(report.applied == ["logging.level", "paths[0].match"])
        #expect(report.needsRestart == ["hls.partSeconds", "listeners.rtmp.port"])
        #expect(server.config.current.api.token == "operator-token")
        #expect(server.config.current.listeners == running.listeners) // still what runs
        #expect(server.config.current.rule(for: "live/x")?.match == "live/*")
        #expect(SluiceLogLevel.shared.level == .warning)
    }

    @Test func postReloadAnswersTheReportOr400WithTheError() async throws {
        let source = Source(SluiceConfig())
        let server = try Self.server(SluiceConfig(), source: source)
        try await server.start()
        let task = Task { try await server.run() }
        defer { task.cancel() }
        #expect(await eventually(within: 20) { server.httpPort != nil })
        let port = try #require(server.httpPort)

        var next = server.config.current
        next.paths = [SluiceConfig.PathRule(match: "shop/**")]
        source.set(.success(next))
        // Behind the operator token, like every /api/v1 route.
        #expect(try await Self.post(port, "/api/v1/reload", token: nil).status == 401)
        let ok = try await Self.post(port, "/api/v1/reload", token: server.apiToken)
        #expect(ok.status == 200)
        let report = try JSONDecoder().decode(ReloadReport.self, from: Data(ok.body.utf8))
        #expect(report == ReloadReport(applied: ["paths[0].match"], needsRestart: []))
        #expect(server.config.current.paths.first?.match == "shop/**")

        source.set(.failure(ConfigError(keyPath: "paths[0].match", origin: .file(name: "s.yaml", line: 4), reason: "must be a non-empty glob")))
        let bad = try await Self.post(port, "/api/v1/reload", token: server.apiToken)
        #expect(bad.status == 400)
        #expect(bad.body.contains("s.yaml:4: paths[0].match: must be a non-empty glob"), "\(bad.body)")
        #expect(server.config.current.paths.first?.match == "shop/**") // the running configuration stays
        try await server.shutdown()
    }

    static func post(_ port: Int, _ path: String, token: String?) async throws -> (status: Int?, body: String) {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
        request.httpMethod = "POST"
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode, String(decoding: data, as: UTF8.self))
    }
}

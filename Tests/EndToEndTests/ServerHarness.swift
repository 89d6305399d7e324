import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Server
import TestSupport
import Transcode

/// A whole Sluice (RTMP, SRT, transcoder, LL-HLS origin) on ephemeral ports, as `sluice serve` runs it.
struct ServerHarness {
    let server: SluiceServer
    let task: Task<Void, any Error>
    let httpPort: Int

    static func start(ladder: String = "360p:600k,240p:250k", endGrace: Duration = .seconds(10),
                      configure: (inout SluiceServerConfiguration) -> Void = { _ in }) async throws -> ServerHarness {
        var transcode = TranscodeConfiguration()
        transcode.ladder = try Ladder(parsing: ladder)
        var config = SluiceServerConfiguration(host: "127.0.0.1", rtmpPort: 0, srtPort: 0, httpPort: 0,
                                               transcode: transcode, endGrace: endGrace)
        configure(&config)
        let server = SluiceServer(configuration: config, logger: Logger(label: "e2e"))
        try await server.start()
        let task = Task { try await server.run() }
        guard await eventually(within: 20, { server.httpPort != nil }), let port = server.httpPort else {
            task.cancel()
            throw HarnessError.noHTTP
        }
        return ServerHarness(server: server, task: task, httpPort: port)
    }

    func stop() async {
        try? await server.shutdown()
        task.cancel()
        _ = try? await task.value
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(httpPort)/\(path)" }

    /// GET → (status, body) with the operator token; nil status when the request failed.
    func get(_ path: String) async -> (status: Int?, body: String) {
        let answer = await request("GET", path)
        return (answer.status, answer.body)
    }

    /// Any request; `token` nil sends the server's operator token, "" none (an Authorization in
    /// `headers` wins). Header names in the answer are lowercased.
    func request(_ method: String, _ path: String, token: String? = nil, headers: [String: String] = [:],
                 body: Data? = nil) async -> (status: Int?, headers: [String: String], body: String) {
        guard let u = URL(string: url(path)) else { return (nil, [:], "") }
        var request = URLRequest(url: u)
        request.httpMethod = method
        request.httpBody = body
        let bearer = token ?? server.apiToken
        if !bearer.isEmpty { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            var fields: [String: String] = [:]
            for (k, v) in http?.allHeaderFields ?? [:] { fields["\(k)".lowercased()] = "\(v)" }
            return (http?.statusCode, fields, String(decoding: data, as: UTF8.self))
        } catch {
            return (nil, [:], "\(error)")
        }
    }

    /// ffmpeg publishing a 640x360 test pattern with a tone over RTMP.
    func rtmpPush(path: String, seconds: Int = 60) throws -> ExternalProcess {
        try ExternalProcess("ffmpeg", Self.testPattern(seconds: seconds) + ["-f", "flv", "rtmp://127.0.0.1:\(server.rtmpPort!)/\(path)"])
    }

    /// A 640x360 test pattern with a tone, in real time, H.264 + AAC (output options follow).
    static func testPattern(seconds: Int) -> [String] {
        ["-hide_banner", "-loglevel", "error", "-re",
         "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-t", "\(seconds)", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "50",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"]
    }

    enum HarnessError: Error { case noHTTP }
}

/// The count of `#EXT-X-STREAM-INF` lines in a multivariant playlist.
func variantCount(_ playlist: String) -> Int {
    playlist.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-STREAM-INF") }.count
}

extension ServerHarness {
    /// ffmpeg publishing the same test pattern as MPEG-TS over SRT (bare streamid = publish).
    func srtPush(path: String, seconds: Int = 60) throws -> ExternalProcess {
        try ExternalProcess("ffmpeg", Self.testPattern(seconds: seconds)
            + ["-f", "mpegts", "srt://127.0.0.1:\(server.srtPort!)?streamid=\(path)&latency=120000&pkt_size=1316"])
    }
}

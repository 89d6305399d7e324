import Config
import Hummingbird

/// `GET /metrics`: the Prometheus text exposition, when `metrics.enabled`; with
/// `metrics.requireToken`, only for `Authorization: Bearer <api.token>`. Both are read from the
/// live configuration per request.
enum MetricsRoutes {
    static func register(on router: Router<BasicRequestContext>, config: ConfigStore, metrics: ServerMetrics,
                         collect: @escaping @Sendable () -> Void) {
        router.get("/metrics") { request, _ -> Response in
            let current = config.current
            guard current.metrics.enabled else { return Response(status: .notFound) }
            if current.metrics.requireToken, let token = current.api.token, !token.isEmpty,
               !bearerMatches(request.headers[.authorization], token: token) {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                                body: .init(byteBuffer: ByteBuffer(string: "metrics need the API token (Authorization: Bearer ...)\n")))
            }
            collect()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
    }

    /// Compares without an early exit, so the time taken does not tell how much of a guess matched.
    static func bearerMatches(_ header: String?, token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.utf8.dropFirst(7)), wanted = Array(token.utf8)
        guard given.count == wanted.count else { return false }
        var diff: UInt8 = 0
        for (a, b) in zip(given, wanted) { diff |= a ^ b }
        return diff == 0
    }
}

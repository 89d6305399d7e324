import Foundation
import HLS
import Hummingbird
import StreamHub

/// The operator's API next to the HLS routes: health and readiness (open), and under `/api/v1`
/// (behind `APIAuthMiddleware`): the server, the streams, one stream, kicking a publisher, the
/// live bitrate lever of the transcoder. Docs/openapi.yaml lists every route.
///
/// A stream path contains slashes and goes into the URL as it is: `/api/v1/streams/live/shop`.
enum StatusRoutes {
    static func register(on router: Router<BasicRequestContext>, server: SluiceServer) {
        // First: it guards every route added after it, other files' `/api/v1/...` routes included.
        router.add(middleware: APIAuthMiddleware(config: server.config))
        let hub = server.hub, pipelines = server.pipelines, registry = server.registry

        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            switch server.readiness {
            case .ready: return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
            case .starting: return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "starting\n")))
            case .shuttingDown: return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "shutting down\n")))
            }
        }

        router.get("/api/v1/server") { _, _ in APIReply.json(server.info) }

        router.get("/api/v1/streams") { _, _ in
            APIReply.json(ServerStatus.collect(hub: hub, pipelines: pipelines, registry: registry, analytics: server.metrics.analytics))
        }

        router.get("/api/v1/streams/**") { _, context -> Response in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let stream = ServerStatus.stream(path, hub: hub, pipelines: pipelines, registry: registry, analytics: server.metrics.analytics) else {
                return APIReply.error(.notFound, "no stream \(path)")
            }
            return APIReply.json(stream)
        }

        // DELETE /api/v1/streams/live/shop/publisher[?reason=...]: the publisher is told why
        // (RTMP onStatus) and its connection closed; the stream ends as if it had left.
        router.delete("/api/v1/streams/**") { request, context -> Response in
            var parts = context.parameters.getCatchAll()
            guard parts.count >= 2, parts.last == "publisher" else {
                return APIReply.error(.notFound, "DELETE /api/v1/streams/{path}/publisher is the only DELETE here")
            }
            parts.removeLast()
            let path = parts.joined(separator: "/")
            let reason = String((request.uri.queryParameters.get("reason") ?? "stopped by the operator").prefix(200))
            guard let live = hub.stream(path), !live.isDerived, let info = live.publisherInfo, live.stopPublisher(reason: reason) else {
                return APIReply.error(.notFound, "no publisher on \(path)")
            }
            server.logger.notice("publisher kicked by the operator",
                                 metadata: ["path": "\(path)", "protocol": "\(info.transport)", "remote": "\(info.remote)", "reason": "\(reason)"])
            return APIReply.json(["path": path, "kicked": info.remote, "protocol": info.transport, "reason": reason], status: .accepted)
        }

        // POST /api/v1/bitrate?path=live/demo&rung=720p&kbps=2000
        router.post("/api/v1/bitrate") { request, _ -> Response in
            let q = request.uri.queryParameters
            guard let path = q.get("path"), let rung = q.get("rung"), let kbps = q.get("kbps", as: Int.self),
                  (50...50_000).contains(kbps) else {
                return APIReply.error(.badRequest, "need path, rung and kbps (50–50000)")
            }
            guard let pipeline = pipelines.pipeline(path), pipeline.transcodeStats?.rung(rung) != nil else {
                return APIReply.error(.notFound, "no rung \(rung) on \(path)")
            }
            pipeline.setBitrate(kbps * 1000, rung: rung)
            return Response(status: .noContent)
        }

        // Anything else under /api/v1 is a JSON 404 (after the token check), not the origin's.
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            router.on("/api/v1/**", method: method) { request, _ in
                APIReply.error(.notFound, "no route \(request.method) \(request.uri.path)")
            }
        }

        DashboardRoutes.register(on: router, config: server.config)
    }
}

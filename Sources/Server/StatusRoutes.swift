import Foundation
import HLS
import Hummingbird
import StreamHub

/// The operator's API next to the HLS routes: health, per-stream status, and the live
/// bitrate lever of the transcoder.
enum StatusRoutes {
    static func register(on router: Router<BasicRequestContext>, hub: StreamHub, pipelines: StreamPipelines, registry: HLSRegistry,
                         analytics: Analytics? = nil) {
        router.get("/healthz") { _, _ in "ok\n" }

        router.get("/api/v1/streams") { _, _ -> Response in
            let status = ServerStatus.collect(hub: hub, pipelines: pipelines, registry: registry, analytics: analytics)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let body = try encoder.encode(status)
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }

        // POST /api/v1/bitrate?path=live/demo&rung=720p&kbps=2000
        router.post("/api/v1/bitrate") { request, _ -> Response in
            let q = request.uri.queryParameters
            guard let path = q.get("path"), let rung = q.get("rung"), let kbps = q.get("kbps", as: Int.self),
                  (50...50_000).contains(kbps) else {
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "need path, rung and kbps (50–50000)\n")))
            }
            guard let pipeline = pipelines.pipeline(path), pipeline.transcodeStats?.rung(rung) != nil else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "no rung \(rung) on \(path)\n")))
            }
            pipeline.setBitrate(kbps * 1000, rung: rung)
            return Response(status: .noContent)
        }
    }
}

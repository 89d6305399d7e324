import Foundation
import Hummingbird
import Ingest

/// Restream destinations at run time: `GET/POST /api/v1/forwards`, `DELETE /api/v1/forwards/{id}`.
enum ForwardRoutes {
    struct AddRequest: Decodable {
        var path: String
        var rendition: String?
        var url: String
        /// rtmps:// only: PEM CA file to trust instead of the system store; false skips verification.
        var caFile: String?
        var verifyTLS: Bool?
    }

    static func register(on router: Router<BasicRequestContext>, forwarding: Forwarding) {
        router.get("/api/v1/forwards") { _, _ -> Response in
            try json(["forwards": forwarding.statuses])
        }
        router.post("/api/v1/forwards") { request, context -> Response in
            let body = try await request.body.collect(upTo: 16 << 10)
            guard let add = try? JSONDecoder().decode(AddRequest.self, from: Data(buffer: body)) else {
                return try json(["error": "send JSON {\"path\": \"live/x\", \"url\": \"rtmp://host/app/key\", \"rendition\": \"source\"}"],
                                status: .badRequest)
            }
            do {
                let tls = Forwarder.TLSOptions(verify: add.verifyTLS ?? true, caFile: add.caFile)
                return try json(forwarding.add(path: add.path, rendition: add.rendition ?? "source", url: add.url, tls: tls),
                                status: .created)
            } catch {
                return try json(["error": "\(error)"], status: .badRequest)
            }
        }
        router.delete("/api/v1/forwards/:id") { _, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self), forwarding.remove(id: id) else {
                return try json(["error": "no such forward"], status: .notFound)
            }
            return Response(status: .noContent)
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

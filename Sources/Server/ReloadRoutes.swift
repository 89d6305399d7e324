import Config
import Foundation
import Hummingbird

/// `POST /api/v1/reload`: reads the configuration again and installs what can change without a
/// restart. 200 with the `ReloadReport` as JSON; 400 with `{"error": "<file>:<line>: <key>: <reason>"}`
/// when the file is invalid (the running configuration stays). Under `/api/v1`, so the API's
/// token check covers it.
enum ReloadRoutes {
    static func register(on router: Router<BasicRequestContext>, server: SluiceServer) {
        router.post("/api/v1/reload") { _, _ -> Response in
            // Reading and parsing a file blocks: not on an event loop.
            let result: Result<ReloadReport, any Error> = await withCheckedContinuation { c in
                Thread { c.resume(returning: Result { try server.reloadFromSource() }) }.start()
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let status: HTTPResponse.Status
            let body: Data
            switch result {
            case .success(let report):
                status = .ok
                body = (try? encoder.encode(report)) ?? Data()
            case .failure(let error):
                status = error is ReloadUnavailable ? .conflict : .badRequest
                body = (try? encoder.encode(["error": "\(error)"])) ?? Data()
            }
            return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body + Data("\n".utf8))))
        }
    }
}

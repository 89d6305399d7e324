import Hummingbird
import NIOCore

/// The web player: `GET /player?src=…` (a page with hls.js and Sluice's ABR controller) and
/// `GET /player/sluice-abr.js` (the controller), `GET /player/latency?src=…` and
/// `/player/latency.js` (glass-to-glass from the pixel clock, Docs/Protocols.md). All are compiled into the binary from
/// Sources/Origin/Player/, so the file the parity test runs is the file served.
public enum PlayerRoutes {
    /// The controller's source, as served.
    public static var sluiceABRScript: String { String(decoding: PackageResources.sluice_abr_js, as: UTF8.self) }
    public static var playerPage: String { String(decoding: PackageResources.player_html, as: UTF8.self) }
    public static var latencyScript: String { String(decoding: PackageResources.latency_js, as: UTF8.self) }

    public static func register<Context: RequestContext>(on router: Router<Context>) {
        let page = ByteBuffer(bytes: PackageResources.player_html)
        let script = ByteBuffer(bytes: PackageResources.sluice_abr_js)
        router.get("/player") { _, _ in reply(page, type: "text/html; charset=utf-8") }
        router.get("/player/sluice-abr.js") { _, _ in reply(script, type: "text/javascript; charset=utf-8") }
        let latencyPage = ByteBuffer(bytes: PackageResources.latency_html)
        let latencyScript = ByteBuffer(bytes: PackageResources.latency_js)
        router.get("/player/latency") { _, _ in reply(latencyPage, type: "text/html; charset=utf-8") }
        router.get("/player/latency.js") { _, _ in reply(latencyScript, type: "text/javascript; charset=utf-8") }
        // The router matches these paths before `**`: answer their CORS preflight here too.
        for path in ["/player", "/player/sluice-abr.js", "/player/latency", "/player/latency.js"] {
            router.on(RouterPath(path), method: .options) { request, _ in OriginRoutes.preflight(request) }
        }
    }

    static func reply(_ body: ByteBuffer, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache" // a new Sluice version serves a new controller
        headers[.accessControlAllowOrigin] = OriginReply.allowOrigin
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}

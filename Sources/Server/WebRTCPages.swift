import Hummingbird
import NIOCore

/// The WebRTC pages, compiled into the binary from Sources/Server/WebRTC/: `/player/webrtc`
/// (play over WHEP, glass-to-glass from the pixel clock), `/player/stage` (camera → WHIP, and
/// the show over WHEP), `/player/clock` (the pixel clock drawn into a canvas, published over WHIP)
/// and `/player/whep.js` (their WHEP/WHIP client).
enum WebRTCPages {
    static func register(on router: Router<BasicRequestContext>) {
        let pages: [(String, [UInt8], String)] = [
            ("/player/webrtc", PackageResources.webrtc_html, "text/html; charset=utf-8"),
            ("/player/stage", PackageResources.stage_html, "text/html; charset=utf-8"),
            ("/player/clock", PackageResources.clock_html, "text/html; charset=utf-8"),
            ("/player/whep.js", PackageResources.whep_js, "text/javascript; charset=utf-8"),
        ]
        for (path, bytes, type) in pages {
            let body = ByteBuffer(bytes: bytes)
            router.get(RouterPath(path)) { _, _ in
                var headers = HTTPFields()
                headers[.contentType] = type
                headers[.cacheControl] = "no-cache"
                headers[.accessControlAllowOrigin] = "*"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
            }
        }
    }
}

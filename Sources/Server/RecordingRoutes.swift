import Foundation
import HLS
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix

/// The recording API (behind the token, registered after StatusRoutes) and the replay of
/// recordings as VOD HLS at `/recordings/<stream path>/<recording id>/...` (open, like the live
/// origin; CORS and cache headers like it).
enum RecordingRoutes {
    static func register(on router: Router<BasicRequestContext>, control: RecordingControl) {
        let recorder = control.recorder
        router.post("/api/v1/streams/**/recording") { _, context -> Response in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            let (status, error) = control.start(path)
            guard let status else { return APIReply.error(.badRequest, error ?? "cannot record \(path)") }
            return APIReply.json(status, status: .created)
        }
        router.delete("/api/v1/streams/**/recording") { _, context -> Response in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let status = control.stop(path) else { return APIReply.error(.notFound, "\(path) is not being recorded") }
            return APIReply.json(status)
        }
        router.get("/api/v1/recordings") { _, _ -> Response in
            // Reading the directory blocks: NIO's thread pool, not the event loop or the task pool.
            let list = try await NIOThreadPool.singleton.runIfActive { recorder.list() }
            return APIReply.json(["recordings": list])
        }
        let files = FileIO(threadPool: .singleton)
        let root = URL(fileURLWithPath: recorder.settings.directory).standardizedFileURL.resolvingSymlinksInPath().path
        let replay: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let parts = context.parameters.getCatchAll().map(String.init)
            guard let file = ReplayFile(components: parts, root: root) else { return notFound() }
            let resolved = URL(fileURLWithPath: file.path).resolvingSymlinksInPath().path
            // Every component is checked; the resolved file must still be inside the directory
            // (a symbolic link placed there cannot lead out).
            guard resolved.hasPrefix(root + "/") else { return notFound() }
            var headers: HTTPFields = [.contentType: file.contentType, .accessControlAllowOrigin: "*"]
            headers[HTTPField.Name("Timing-Allow-Origin")!] = "*"
            if file.isPlaylist {
                // A running recording's playlist grows: short-lived; a finished one is fixed.
                let text = try await NIOThreadPool.singleton.runIfActive { () -> String? in
                    try? String(contentsOfFile: resolved, encoding: .utf8)
                }
                guard let text else { return notFound() }
                headers[.cacheControl] = text.contains("#EXT-X-ENDLIST") || file.isMultivariant ? "public, max-age=60" : "public, max-age=1"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
            }
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            if request.method == .head {
                let size = try await NIOThreadPool.singleton.runIfActive { () -> Int? in
                    (try? FileManager.default.attributesOfItem(atPath: resolved)[.size] as? NSNumber)?.intValue
                }
                guard let size else { return notFound() }
                headers[.contentLength] = String(size)
                return Response(status: .ok, headers: headers)
            }
            do {
                let body = try await files.loadFile(path: resolved, context: context)
                return Response(status: .ok, headers: headers, body: body)
            } catch {
                return notFound()
            }
        }
        router.get("/recordings/**", use: replay)
        router.head("/recordings/**", use: replay)
    }

    static func notFound() -> Response {
        Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8", .accessControlAllowOrigin: "*"],
                 body: .init(byteBuffer: ByteBuffer(string: "not found\n")))
    }
}

/// A replay URL's file: `<stream path>/<id>/index.m3u8`, `<stream path>/<id>/<rendition>/index.m3u8`,
/// `.../init-<n>.mp4`, `.../seg-<n>.m4s`. Anything else (dot components, other names) is nil.
struct ReplayFile {
    var path: String
    var contentType: String
    var isPlaylist: Bool
    var isMultivariant: Bool

    init?(components: [String], root: String) {
        guard components.count >= 3, components.count <= 20, components.allSatisfy(RecordingID.isSafeComponent) else { return nil }
        let name = components[components.count - 1]
        var idIndex = components.count - 2
        if name == "index.m3u8" && RecordingID.isID(components[idIndex]) {
            isMultivariant = true
        } else {
            idIndex = components.count - 3
            isMultivariant = false
            guard idIndex >= 1, RecordingID.isID(components[idIndex]) else { return nil }
        }
        guard idIndex >= 1 else { return nil }
        if name == "index.m3u8" {
            contentType = "application/vnd.apple.mpegurl"
            isPlaylist = true
        } else if (name.hasPrefix("seg-") && name.hasSuffix(".m4s") && Int(name.dropFirst(4).dropLast(4)) != nil)
                    || (name.hasPrefix("init-") && name.hasSuffix(".mp4") && Int(name.dropFirst(5).dropLast(4)) != nil) {
            guard !isMultivariant else { return nil }
            contentType = "video/mp4"
            isPlaylist = false
        } else {
            return nil
        }
        path = root + "/" + components.joined(separator: "/")
    }
}

@testable import HLSParse
import HummingbirdCore
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Timelines a playlist request is decided against: none yet, live with an open segment,
/// live at a segment boundary, ended.
let timelines: [RenditionTimeline] = {
    func part(_ starts: Bool) -> CutPart {
        CutPart(data: ByteBuffer(), duration: 0.25, independent: starts, startsSegment: starts, wallClock: 0)
    }
    let empty = RenditionTimeline(configuration: HLSConfiguration())
    var open = empty
    for i in 0..<14 { open.add(part(i % 4 == 0)) }
    var closed = open
    closed.closeSegment()
    var ended = open
    ended.end()
    return [empty, open, closed, ended]
}()

/// libFuzzer entry: the input is what a client writes to the origin's socket. NIO's HTTP/1
/// decoder (the origin's) splits it into requests; each head goes through what
/// `OriginFastPath.serve` and `OriginResponder.respond` do with it before touching a stream:
/// Hummingbird's `URI` for path and query, `OriginRequest` for the path, `PlaylistRequest`
/// for the delivery directives and their decision. Malformed input is rejected; a trap is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
    defer { _ = try? channel.finish() }
    var buffer = channel.allocator.buffer(capacity: size)
    buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: size))
    do {
        try channel.writeInbound(buffer)
    } catch {
        // The decoder refused the bytes (the origin answers 400 and closes): heads before it still count.
    }
    while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
        guard case .head(let head) = part else { continue }
        route(head.uri)
    }
    return 0
}

func route(_ target: String) {
    // OriginFastPath.serve: the dictionary only when there is a query.
    let uri = URI(target)
    var query: [String: String] = [:]
    if target.utf8.contains(UInt8(ascii: "?")) {
        for (k, v) in uri.queryParameters { query[String(k)] = String(v) }
    }
    // Which paths are streams decides between multivariant and media playlists: both ways.
    for live in [false, true] {
        guard let request = OriginRequest(path: uri.path, isStream: { _ in live }) else { continue }
        switch request {
        case .mediaPlaylist, .legacyPlaylist:
            guard let directives = PlaylistRequest.parse(query) else { continue }
            for timeline in timelines { _ = directives.decide(timeline) }
        default:
            break
        }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under this name; hand over to libFuzzer's driver.
@_cdecl("fuzz_http_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}

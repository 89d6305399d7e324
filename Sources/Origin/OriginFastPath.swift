import HLS
import HummingbirdCore
import NIOCore
import NIOHTTP1

/// Answers the origin's HLS GETs on the event loop, before Hummingbird's per-connection task
/// sees them: no task hop, no async writer per response, and a held (blocking) request costs a
/// callback, not a suspended task. Everything else (API routes, OPTIONS) passes through to
/// Hummingbird unchanged; HEAD gets GET's headers without the body.
/// Responses leave in request order: while one is outstanding, later pipelined requests wait
/// here. Back-pressure: no request is started while the socket is not writable, and no more is
/// read while one waits here, so a client that pipelines without reading its answers costs one
/// read's worth of request heads and one response, not one response per request.
///
/// Why not NIO's `HTTPServerPipelineHandler`: this handler must see every request anyway (to
/// answer HLS GETs on the loop or pass them to Hummingbird), and NIO's handler starts the next
/// buffered request whether or not the socket is writable; two queues would still need this
/// writability rule. (No benchmark was run for this choice.)
final class OriginFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A failsafe only: reading stops while anything is queued, so the queue holds at most one
    /// read (≤ 4 × 64 KB of pipelined requests).
    static let maxQueuedParts = 16_384

    private enum Owner { case fastPath, router }
    private enum Body { case none, forward, discard }

    private let registry: HLSRegistry
    private let serverName: String?
    /// Request parts not yet handled (pipelined behind an outstanding response).
    private var queue = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
    /// Who answers the request whose response is outstanding.
    private var responding: Owner?
    /// Where the current request's body parts go.
    private var body = Body.none
    private var pumping = false
    /// A `read()` held back while requests are queued or the socket is not writable.
    private var readPending = false
    /// Server shutdown: answer what was read, then close.
    private var quiescing = false
    private let connectionGuard: OriginConnectionGuard?
    private let observer: (any OriginObserver)?
    /// The peer's address as text, formatted once per connection for the observer.
    private var remoteIP: String??
    /// Signed play URLs (nil: open).
    private let access: OriginAccess?

    init(registry: HLSRegistry, serverName: String?, connectionGuard: OriginConnectionGuard? = nil,
         observer: (any OriginObserver)? = nil, access: OriginAccess? = nil) {
        self.registry = registry
        self.access = access
        self.serverName = serverName
        self.connectionGuard = connectionGuard
        self.observer = observer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        queue.append(part)
        if case .end = part { connectionGuard?.requestRead() }
        if queue.count > Self.maxQueuedParts {
            context.fireErrorCaught(PipelineOverflow())
            context.close(promise: nil)
            return
        }
        pump(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if queue.isEmpty && context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        if context.channel.isWritable { pump(context: context) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        switch responding {
        case .router: context.fireUserInboundEventTriggered(event) // Hummingbird closes after its response
        case .fastPath: break // `finish` closes after the held answer (the registry's endAll answers it)
        case nil: context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        context.write(data, promise: promise)
        if case .end = part, responding == .router {
            responding = nil
            pump(context: context)
        }
    }

    /// Handles queued parts in order until a request has to wait for the one before it.
    private func pump(context: ChannelHandlerContext) {
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        var forwarded = false
        while let part = queue.first {
            if case .head = part {
                // Waits for the outstanding response, and for the socket to take more.
                if responding != nil || quiescing || !context.channel.isWritable { break }
            }
            queue.removeFirst()
            switch part {
            case .head(let head):
                if head.method == .GET || head.method == .HEAD,
                   OriginResponder.handles(path: head.uri.split(separator: "?", maxSplits: 1).first ?? "") {
                    responding = .fastPath
                    body = .discard
                    serve(head, context: context)
                } else {
                    responding = .router
                    body = .forward
                    context.fireChannelRead(wrapInboundOut(part))
                    forwarded = true
                }
            case .body, .end:
                if body == .forward {
                    context.fireChannelRead(wrapInboundOut(part))
                    forwarded = true
                }
                if case .end = part { body = .none }
            }
        }
        // NIOAsyncChannel hands reads to Hummingbird's task on read-complete.
        if forwarded { context.fireChannelReadComplete() }
        if queue.isEmpty && responding == nil { connectionGuard?.becameIdle() }
        if readPending && queue.isEmpty && context.channel.isWritable {
            readPending = false
            context.read()
        }
    }

    /// Not passed on: `pump` already fired it after any read it passed on, and a walk down the
    /// pipeline per socket read costs a measurable share of a part request.
    func channelReadComplete(context: ChannelHandlerContext) {}

    private func serve(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let uri = URI(head.uri)
        var query: [String: String] = [:]
        if head.uri.utf8.contains(UInt8(ascii: "?")) { // parts and segments have none: skip the dictionary
            for (k, v) in uri.queryParameters { query[String(k)] = String(v) }
        }
        let gzip = head.headers.first(name: "accept-encoding").map(OriginResponder.acceptsGzip) ?? false
        let keepAlive = head.isKeepAlive
        let version = head.version
        let withBody = head.method != .HEAD
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        if observer != nil, remoteIP == nil { remoteIP = .some(context.channel.remoteAddress?.ipAddress) }
        let observed = observer.map { _ in
            Observed(path: uri.path, remoteAddress: remoteIP ?? nil,
                     userAgent: head.headers.first(name: "user-agent"), received: .now)
        }
        OriginResponder.respond(path: uri.path, query: query, acceptsGzip: gzip, registry: registry, access: access) { reply in
            // Immediate answers arrive on the loop; held ones on the thread that published the part.
            if loop.inEventLoop {
                bound.value.0.finish(reply, version: version, keepAlive: keepAlive, withBody: withBody, observed: observed,
                                     context: bound.value.1)
            } else {
                loop.execute {
                    bound.value.0.finish(reply, version: version, keepAlive: keepAlive, withBody: withBody, observed: observed,
                                         context: bound.value.1)
                }
            }
        }
    }

    /// What the observer gets to know of a request, taken when its head arrives.
    private struct Observed: Sendable {
        var path: String
        var remoteAddress: String?
        var userAgent: String?
        var received: ContinuousClock.Instant
    }

    private func finish(_ reply: OriginReply, version: HTTPVersion, keepAlive: Bool, withBody: Bool, observed: Observed?,
                        context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(10)
        if let serverName { headers.add(name: "Server", value: serverName) }
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Content-Length", value: String(reply.body.readableBytes))
        for (name, value) in reply.headers { headers.add(name: name, value: value) }
        let keepAlive = keepAlive && !quiescing
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        let status = HTTPResponseStatus(statusCode: reply.status.code, reasonPhrase: reply.status.reasonPhrase)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if withBody { context.write(wrapOutboundOut(.body(.byteBuffer(reply.body))), promise: nil) }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
        if let observer, let observed {
            observer.answered(OriginObservation(path: observed.path, status: Int(reply.status.code),
                                                bytes: withBody ? reply.body.readableBytes : 0, remoteAddress: observed.remoteAddress,
                                                userAgent: observed.userAgent, received: observed.received, answered: .now))
        }
        responding = nil
        pump(context: context)
    }

    struct PipelineOverflow: Error, CustomStringConvertible {
        var description: String { "HTTP client sent more than \(OriginFastPath.maxQueuedParts) request parts in one read" }
    }
}

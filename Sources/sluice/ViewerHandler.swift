import Foundation
import LatencyProbe
import NIOCore

/// One simulated player on one keep-alive connection, as a state machine on its event
/// loop (a task per request made the generator, not the server, the thing measured).
final class ViewerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Pending {
        /// A full playlist: the first load, or after a failed reload.
        case playlist
        /// A blocking delta reload for the part after the newest listed.
        case reload
        case part(ViewerPlaylist.PartRef, sent: NIODeadline)
        /// Static copy: the playlist request before each part, then the part.
        case replayPlaylist(ViewerPlaylist.PartRef)
        case replayPart(sent: NIODeadline)

        var keepsBody: Bool {
            switch self {
            case .playlist, .reload: true
            default: false
            }
        }
    }

    private let host: String
    private let base: String
    /// `base` up to its last "/": a part URI without "/" (Sluice's) resolves to this + it.
    private let directory: String
    private let deadline: NIODeadline
    private let tally: ViewerTally
    /// Succeeds once with whether the connection ended before the deadline.
    private let dropped: EventLoopPromise<Bool>
    private var context: ChannelHandlerContext?
    private var pending: Pending?
    private var response = HTTPResponseReader()
    private var list = ViewerPlaylist(ByteBuffer())
    private var loaded = false
    private var fresh: [ViewerPlaylist.PartRef] = []
    private var next = 0
    private var fetched: (msn: Int, index: Int)?
    /// Delays count from the first blocking reload on: the backlog fetched at start is old by design.
    private var blocking = false
    private var reloadReturned = NIODeadline.now()
    private var replayStart: NIODeadline?
    private var cursor = 0
    private var done = false
    /// Parts' listing times at the origin; a watcher writes them, viewers read them.
    private let listed: ListedParts?
    /// The origin watcher: follows blocking reloads, records each part's listing, fetches nothing.
    private let watcher: Bool

    init(host: String, base: String, deadline: NIODeadline, tally: ViewerTally, dropped: EventLoopPromise<Bool>,
         listed: ListedParts? = nil, watcher: Bool = false) {
        self.listed = listed
        self.watcher = watcher
        self.host = host
        self.base = base
        let path = base.split(separator: "?", maxSplits: 1).first.map(String.init) ?? base
        directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "/"
        self.deadline = deadline
        self.tally = tally
        self.dropped = dropped
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        send(.playlist, base)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(dropped: NIODeadline.now() < deadline)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        while bytes.readableBytes > 0 {
            switch response.read(&bytes, keepBody: pending?.keepsBody ?? false) {
            case .needMore: return
            case .ended: responseEnded()
            case .malformed:
                tally.stats.error("malformed response")
                return context.close(promise: nil)
            case .headTooLarge: return context.close(promise: nil)
            }
        }
    }

    private func responseEnded() {
        let now = NIODeadline.now()
        let status = response.status
        tally.stats.requests += 1
        tally.stats.bytes += response.received
        if status >= 400 { tally.stats.error("HTTP \(status)") }
        guard let request = pending else { return }
        pending = nil
        switch request {
        case .playlist:
            guard status == 200 else { return later(.milliseconds(Int64(list.partTarget * 1000))) { $0.send(.playlist, $0.base) } }
            list = ViewerPlaylist(response.body)
            if list.ended {
                if replayStart == nil { replayStart = now }
                return replayNext()
            }
            if !loaded {
                fetched = list.startAfter
                loaded = true
            }
            fetchFresh(now)
        case .reload:
            guard status == 200 else { return later(.milliseconds(Int64(list.partTarget * 1000))) { $0.send(.playlist, $0.base) } }
            list = ViewerPlaylist(response.body)
            blocking = true
            fetchFresh(now)
        case .part(let ref, let sent):
            if status < 400 {
                tally.stats.parts += 1
                tally.stats.partRequest.record(seconds: (now - sent).seconds)
                if blocking {
                    tally.stats.reloadToDelivery.record(seconds: (now - reloadReturned).seconds)
                    if let end = ref.endWallClock { tally.stats.partEndToDelivery.record(seconds: Date().timeIntervalSince1970 - end) }
                    if let listed {
                        if let at = listed.listed(ref.uri) {
                            // Parts already listed when the watcher started have no listing time.
                            if at != .distantPast { tally.stats.listedToDelivery.record(seconds: max(0, (now - at).seconds)) }
                        } else {
                            tally.stats.deliveredBeforeListed += 1
                            tally.stats.listedToDelivery.record(seconds: 0)
                        }
                    }
                }
            }
            fetched = (ref.msn, ref.index)
            fetchNext()
        case .replayPlaylist(let ref):
            sendPart(.replayPart(sent: now), ref.uri)
        case .replayPart(let sent):
            if status < 400 { tally.stats.parts += 1 }
            tally.stats.replayed += 1
            tally.stats.partRequest.record(seconds: (now - sent).seconds)
            cursor += 1
            // Paced by the part durations; a fresh playlist once per pass.
            let due = (replayStart ?? now) + .milliseconds(Int64(Double(cursor) * list.partTarget * 1000))
            let pass = cursor % max(1, list.parts.count) == 0
            later(due - now) { pass ? $0.send(.playlist, $0.base) : $0.replayNext() }
        }
    }

    private func fetchFresh(_ now: NIODeadline) {
        reloadReturned = now
        fresh = list.parts(after: fetched)
        next = 0
        if watcher {
            // Listed now (the backlog of the first load too: it was listed before anyone looked).
            for p in fresh { listed?.record(p.uri, at: blocking ? now : .distantPast) }
            if let last = fresh.last { fetched = (last.msn, last.index) }
            next = fresh.count
        }
        fetchNext()
    }

    private func fetchNext() {
        if next < fresh.count {
            let p = fresh[next]
            next += 1
            return sendPart(.part(p, sent: NIODeadline.now()), p.uri)
        }
        guard let reload = list.reloadTarget else { return later(.milliseconds(100)) { $0.send(.playlist, $0.base) } }
        // Delta updates, as hls.js asks once it holds a full playlist.
        send(.reload, base, "?_HLS_msn=\(reload.msn)&_HLS_part=\(reload.part)&_HLS_skip=YES")
    }

    private func replayNext() {
        guard !list.parts.isEmpty else { return finish(dropped: false) }
        let part = list.parts[cursor % list.parts.count]
        send(.replayPlaylist(part), "\(base)?_HLS_msn=\(part.msn)&_HLS_part=\(part.index)")
    }

    private func send(_ request: Pending, _ path: String) { send(request, path, "") }

    /// A part: its URI resolved against the playlist's path. Sluice's part URIs have no "/",
    /// so that is the directory + the URI, written straight into the request (resolving
    /// every part with string splits and joins was a tenth of the generator's CPU).
    private func sendPart(_ request: Pending, _ uri: String) {
        if uri.utf8.contains(47) || uri == "." || uri == ".." { // "/"
            send(request, ViewerTarget.resolve(uri, against: base), "")
        } else {
            send(request, directory, uri)
        }
    }

    /// GET `path` + `suffix`, written into the buffer in pieces: no request string per request.
    private func send(_ request: Pending, _ path: String, _ suffix: String) {
        guard let context, NIODeadline.now() < deadline else { return finish(dropped: false) }
        pending = request
        var out = context.channel.allocator.buffer(capacity: path.utf8.count + suffix.utf8.count + host.utf8.count + 32)
        out.writeStaticString("GET ")
        out.writeString(path)
        out.writeString(suffix)
        out.writeStaticString(" HTTP/1.1\r\nHost: ")
        out.writeString(host)
        out.writeStaticString("\r\n\r\n")
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    private func later(_ delay: TimeAmount, _ action: @escaping (ViewerHandler) -> Void) {
        guard let context else { return }
        let me = NIOLoopBound(self, eventLoop: context.eventLoop)
        let step = NIOLoopBound(action, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: max(delay, .zero)) { step.value(me.value) }
    }

    private func finish(dropped: Bool) {
        guard !done else { return }
        done = true
        context?.close(promise: nil)
        self.dropped.succeed(dropped)
    }
}

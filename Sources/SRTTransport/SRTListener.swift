import CSRT
import Foundation
import Synchronization

/// An SRT listener: the handshake callback decides per streamid (and sets the stream's
/// passphrase), and one epoll thread accepts and reads every connection without blocking.
public final class SRTListener: Sendable {
    public let port: Int
    private let socket: Int32
    private let epoll: Int32
    private let running = RunFlag()
    private let stopped = DispatchSemaphore(value: 0)
    /// Passed to libsrt's C handshake callback as its opaque pointer; lives as long as the listener.
    private let callbacks: CallbackBox

    final class RunFlag: Sendable {
        let value = Atomic<Bool>(true)
    }

    final class CallbackBox: Sendable {
        let handlers: SRTListenerHandlers
        let maxConnections: Int
        /// Open connections, kept by the epoll thread, read by the handshake callback.
        let open = Atomic<Int>(0)
        init(_ handlers: SRTListenerHandlers, maxConnections: Int) {
            self.handlers = handlers
            self.maxConnections = maxConnections
        }
    }

    /// Binds and listens. `latencyMs` is the receiver's TSBPD latency: the loss it can absorb
    /// by retransmission, paid once in end-to-end delay.
    /// Callers beyond `maxConnections` open connections are rejected during the handshake
    /// (each connection costs a demux thread).
    public init(host: String = "0.0.0.0", port: Int, latencyMs: Int = 120, backlog: Int = 64, maxConnections: Int = 100,
                handlers: SRTListenerHandlers) throws {
        try SRTLibrary.startup()
        let sock = srt_create_socket()
        guard sock != SRT_INVALID_SOCK else { throw SRTError.last("srt_create_socket") }
        var no: Int32 = 0
        var latency = Int32(latencyMs)
        srt_setsockflag(sock, SRTO_RCVSYN, &no, Int32(MemoryLayout<Int32>.size))
        srt_setsockflag(sock, SRTO_RCVLATENCY, &latency, Int32(MemoryLayout<Int32>.size))
        do {
            try SRTSocketAddress.with(host: host, port: port) { addr, len in
                if srt_bind(sock, addr, len) < 0 { throw SRTError.last("srt_bind \(host):\(port)") }
            }
        } catch {
            srt_close(sock)
            throw error
        }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = srt_getsockname(sock, $0, &length) }
        }
        self.port = SRTSocketAddress.port(of: storage)
        self.socket = sock
        self.callbacks = CallbackBox(handlers, maxConnections: maxConnections)

        // The hook must be installed before srt_listen.
        let opaque = Unmanaged.passUnretained(callbacks).toOpaque()
        srt_listen_callback(sock, { opaque, accepted, _, peer, rawID in
            let box = Unmanaged<SRTListener.CallbackBox>.fromOpaque(opaque!).takeUnretainedValue()
            return SRTListener.handshake(box, socket: accepted, peer: peer, rawStreamID: rawID)
        }, opaque)
        guard srt_listen(sock, Int32(backlog)) == 0 else {
            let error = SRTError.last("srt_listen")
            srt_close(sock)
            throw error
        }
        let eid = srt_epoll_create()
        var events = Int32(SRT_EPOLL_IN.rawValue | SRT_EPOLL_ERR.rawValue)
        srt_epoll_add_usock(eid, sock, &events)
        self.epoll = eid

        let thread = Thread { [callbacks, running, stopped] in
            SRTListener.pollLoop(listener: sock, epoll: eid, callbacks: callbacks, running: running)
            stopped.signal()
        }
        thread.name = "srt-epoll-\(port)"
        thread.start()
    }

    /// Stops the epoll thread and closes the listener and every connection.
    public func close() {
        guard running.value.exchange(false, ordering: .acquiringAndReleasing) else { return }
        stopped.wait()
        srt_epoll_release(epoll)
        srt_close(socket)
    }

    deinit { close() }

    static func handshake(_ box: CallbackBox, socket: Int32, peer: UnsafePointer<sockaddr>?,
                          rawStreamID: UnsafePointer<CChar>?) -> Int32 {
        let handlers = box.handlers
        let raw = rawStreamID.map { String(cString: $0) } ?? ""
        let peerText = SRTSocketAddress.describe(peer)
        guard box.open.load(ordering: .relaxed) < box.maxConnections else {
            srt_setrejectreason(socket, SRTAcceptDecision.overload)
            handlers.refused(raw, peerText, "\(box.maxConnections) SRT connections are open already")
            return -1
        }
        let id: SRTStreamID
        do {
            id = try SRTStreamID.parse(raw)
        } catch {
            srt_setrejectreason(socket, SRTAcceptDecision.badRequest)
            handlers.refused(raw, peerText, "bad streamid: \(error)")
            return -1
        }
        switch handlers.decide(id, peerText) {
        case .accept(let passphrase):
            if let passphrase, !passphrase.isEmpty {
                let ok = passphrase.withCString { srt_setsockflag(socket, SRTO_PASSPHRASE, $0, Int32(strlen($0))) }
                if ok != 0 {
                    srt_setrejectreason(socket, SRTAcceptDecision.forbidden)
                    handlers.refused(raw, peerText, "passphrase rejected by libsrt (10–79 characters)")
                    return -1
                }
            }
            return 0
        case .reject(let code, let reason):
            srt_setrejectreason(socket, code)
            handlers.refused(raw, peerText, "\(reason) (rejected with SRT code \(code))")
            return -1
        }
    }

    private static func pollLoop(listener: Int32, epoll: Int32, callbacks: CallbackBox, running: RunFlag) {
        let handlers = callbacks.handlers
        var connections: [Int32: SRTConnection] = [:]
        var ready = [SRTSOCKET](repeating: SRT_INVALID_SOCK, count: 256)
        var buffer = [UInt8](repeating: 0, count: 1500)
        var inOrErr = Int32(SRT_EPOLL_IN.rawValue | SRT_EPOLL_ERR.rawValue)

        func drop(_ s: Int32) {
            srt_epoll_remove_usock(epoll, s)
            srt_close(s)
            if let c = connections.removeValue(forKey: s) {
                callbacks.open.store(connections.count, ordering: .relaxed)
                handlers.closed(c)
            }
        }

        while running.value.load(ordering: .acquiring) {
            var count = Int32(ready.count)
            let n = srt_epoll_wait(epoll, &ready, &count, nil, nil, 100, nil, nil, nil, nil)
            // n <= 0: a timeout (or an empty set). The sweep below still runs: a socket the server
            // closed itself (a caller without media, a takeover) brings no event, and its slot
            // must not wait for another caller's.
            for s in ready.prefix(n > 0 ? Int(count) : 0) {
                if s == listener {
                    // One accept per wake-up: the listener's readiness is level-triggered, so more
                    // pending callers wake the next wait at once, and libsrt logs an error for
                    // every srt_accept that finds none.
                    repeat {
                        var storage = sockaddr_storage()
                        var len = Int32(MemoryLayout<sockaddr_storage>.size)
                        let accepted = withUnsafeMutablePointer(to: &storage) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { srt_accept(listener, $0, &len) }
                        }
                        if accepted == SRT_INVALID_SOCK { break } // a caller that gave up meanwhile
                        let peer = withUnsafePointer(to: &storage) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SRTSocketAddress.describe($0) }
                        }
                        var no: Int32 = 0
                        srt_setsockflag(accepted, SRTO_RCVSYN, &no, Int32(MemoryLayout<Int32>.size))
                        var idBytes = [CChar](repeating: 0, count: SRTStreamID.maxLength + 1)
                        var idLen = Int32(SRTStreamID.maxLength)
                        srt_getsockflag(accepted, SRTO_STREAMID, &idBytes, &idLen)
                        let raw = idBytes.prefix(Int(max(0, idLen))).utf8String
                        let id = (try? SRTStreamID.parse(raw)) ?? SRTStreamID(resource: raw)
                        let connection = SRTConnection(socket: accepted, streamID: id, peer: peer)
                        connections[accepted] = connection
                        callbacks.open.store(connections.count, ordering: .relaxed)
                        srt_epoll_add_usock(epoll, accepted, &inOrErr)
                        handlers.opened(connection)
                    } while false
                    continue
                }
                guard let connection = connections[s] else {
                    srt_epoll_remove_usock(epoll, s)
                    continue
                }
                while true {
                    let got = buffer.withUnsafeMutableBytes { raw in
                        srt_recvmsg(s, raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count))
                    }
                    if got > 0 {
                        buffer.withUnsafeBytes { handlers.received(connection, UnsafeRawBufferPointer(rebasing: $0[0..<Int(got)])) }
                        continue
                    }
                    if got < 0, srt_getlasterror(nil) == SRT_EASYNCRCV.rawValue { break }
                    drop(s) // 0 or an error: the peer closed or the link broke
                    break
                }
            }
            // Sockets closed from another thread (takeover, shutdown) are not always reported.
            for (s, _) in connections where srt_getsockstate(s).rawValue >= SRTS_BROKEN.rawValue {
                drop(s)
            }
        }
        for s in Array(connections.keys) { drop(s) }
    }
}

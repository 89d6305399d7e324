#if canImport(Glibc)
import Glibc
#endif
import CMediaShims
import NIOCore

/// A plain TCP socket for the RTMP client: blocking-with-timeout reads for the handshake and
/// commands, non-blocking writes for media so the sender can sample the link while it waits.
/// Our own socket, not NIO's, because the controller reads TCP_INFO and SIOCOUTQ on its fd.
///
/// Not Sendable: belongs to the sender thread.
final class TCPConnection {
    let fd: Int32
    private var closed = false
    /// Every byte written on the connection (the peer's RTMP acknowledgements count the same).
    private(set) var bytesWritten = 0

    init(host: String, port: Int, timeoutMs: Int32 = 5000) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw UplinkError("cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var address: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        while let a = address, connected < 0 {
            address = a.pointee.ai_next
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            guard s >= 0 else { lastError = errno; continue }
            _ = fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK)
            if connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                var p = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
                var soError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                if poll(&p, 1, timeoutMs) == 1, getsockopt(s, SOL_SOCKET, SO_ERROR, &soError, &length) == 0, soError == 0 {
                    connected = s
                    break
                }
                lastError = soError != 0 ? soError : ETIMEDOUT
            } else {
                lastError = errno
            }
            Glibc.close(s)
        }
        guard connected >= 0 else {
            throw UplinkError("connect to \(host):\(port): \(String(cString: strerror(lastError)))")
        }
        fd = connected
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), 1 /* TCP_NODELAY */, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// Unsent bytes the kernel keeps before it reports the socket writable (TCP_NOTSENT_LOWAT):
    /// the queue stays in the sender, where it can be measured and dropped, not in the kernel.
    func limitUnsent(_ bytes: Int32) {
        var value = bytes
        setsockopt(fd, Int32(IPPROTO_TCP), 25 /* TCP_NOTSENT_LOWAT */, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Writes everything, waiting up to `timeoutMs` in total (setup messages).
    func writeAll(_ buffer: ByteBuffer, timeoutMs: Int32 = 5000) throws {
        var b = buffer
        while b.readableBytes > 0 {
            if try writeSome(&b) == 0 {
                guard try wait(events: Int16(POLLOUT), timeoutMs: timeoutMs) else { throw UplinkError("send timed out") }
            }
        }
    }

    /// Writes what the socket takes now; returns the byte count (0 when it would block).
    func writeSome(_ buffer: inout ByteBuffer) throws -> Int {
        let n = buffer.withUnsafeReadableBytes { raw in
            Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
            throw UplinkError("send: \(String(cString: strerror(errno)))")
        }
        buffer.moveReaderIndex(forwardBy: n)
        bytesWritten += n
        return n
    }

    /// Reads what is there into `buffer`; false if the peer closed. Waits up to `timeoutMs`.
    func read(into buffer: inout ByteBuffer, timeoutMs: Int32) throws -> Bool {
        guard try wait(events: Int16(POLLIN), timeoutMs: timeoutMs) else { return true }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n == 0 { return false }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return true }
            throw UplinkError("recv: \(String(cString: strerror(errno)))")
        }
        buffer.writeBytes(chunk[0..<n])
        return true
    }

    /// true when `events` are ready within `timeoutMs`.
    func wait(events: Int16, timeoutMs: Int32) throws -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        let r = poll(&p, 1, timeoutMs)
        if r < 0 && errno != EINTR { throw UplinkError("poll: \(String(cString: strerror(errno)))") }
        if r > 0 && p.revents & Int16(POLLERR | POLLNVAL) != 0 { throw UplinkError("the connection failed") }
        return r > 0 && p.revents & (events | Int16(POLLHUP)) != 0
    }

    /// TCP_INFO and SIOCOUTQ.
    func link() -> sluice_tcp_link? {
        var info = sluice_tcp_link()
        return sluice_tcp_link(fd, &info) == 0 ? info : nil
    }
}

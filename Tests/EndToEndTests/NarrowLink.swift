import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A narrow link for the adaptive push tests until `sluice shape` is merged: a loopback relay
/// that forwards the publisher's direction at `kbps` (TCP: read no faster than the rate, with a
/// small receive buffer so back-pressure reaches the sender; UDP: a drop-tail queue of
/// `queueMs` released at the rate) and the return direction as it comes.
final class NarrowLink: Sendable {
    let port: Int
    private let running = Atomic<Bool>(true)
    private let fds = Mutex<[Int32]>([])

    /// A TCP relay to 127.0.0.1:`target`, for one connection.
    init(tcpTo target: Int, kbps: Int) throws {
        let listener = try Self.socket(Int32(SOCK_STREAM.rawValue), receiveBuffer: 16 * 1024)
        guard listen(listener.fd, 1) == 0 else { throw POSIXError(.EADDRINUSE) }
        port = listener.port
        fds.withLock { $0.append(listener.fd) }
        let thread = Thread { [self] in
            let client = accept(listener.fd, nil, nil)
            guard client >= 0 else { return }
            let server = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            fds.withLock { $0 += [client, server] }
            var addr = Self.loopback(target)
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard ok == 0 else { return }
            let back = Thread { [self] in pump(from: server, to: client, kbps: nil) }
            back.start()
            pump(from: client, to: server, kbps: kbps)
        }
        thread.start()
    }

    /// A UDP relay to 127.0.0.1:`target` (one peer), the upstream through a drop-tail queue.
    init(udpTo target: Int, kbps: Int, queueMs: Int = 300) throws {
        let inside = try Self.socket(Int32(SOCK_DGRAM.rawValue), receiveBuffer: nil)
        port = inside.port
        let outside = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = Self.loopback(target)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(outside, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        fds.withLock { $0 += [inside.fd, outside] }
        let thread = Thread { [self] in
            var peer = sockaddr_in()
            var queue: [[UInt8]] = []
            var queued = 0
            let limit = kbps * 1000 / 8 * queueMs / 1000
            let start = Date()
            var released = 0.0 // bytes the rate allowed so far
            var buffer = [UInt8](repeating: 0, count: 2048)
            while running.load(ordering: .relaxed) {
                var polls = [pollfd(fd: inside.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: outside, events: Int16(POLLIN), revents: 0)]
                _ = poll(&polls, 2, 1)
                if polls[0].revents & Int16(POLLIN) != 0 {
                    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                    let n = withUnsafeMutablePointer(to: &peer) { p in
                        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(inside.fd, &buffer, buffer.count, 0, $0, &length) }
                    }
                    if n > 0, queued + n <= limit {
                        queue.append(Array(buffer[0..<n]))
                        queued += n
                    }
                }
                if polls[1].revents & Int16(POLLIN) != 0 {
                    let n = recv(outside, &buffer, buffer.count, 0)
                    if n > 0 {
                        _ = withUnsafePointer(to: &peer) { p in
                            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                sendto(inside.fd, buffer, n, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                            }
                        }
                    }
                }
                let allowed = Date().timeIntervalSince(start) * Double(kbps) * 1000 / 8
                if queue.isEmpty { released = max(released, allowed - 1500) } // no credit saved while idle
                while let first = queue.first, released + Double(first.count) <= allowed {
                    _ = send(outside, first, first.count, 0)
                    released += Double(first.count)
                    queued -= first.count
                    queue.removeFirst()
                }
            }
        }
        thread.start()
    }

    func close() {
        running.store(false, ordering: .relaxed)
        for fd in fds.withLock({ $0 }) {
            shutdown(fd, Int32(SHUT_RDWR))
            Glibc.close(fd)
        }
    }

    private func pump(from source: Int32, to sink: Int32, kbps: Int?) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let start = Date()
        var moved = 0
        while running.load(ordering: .relaxed) {
            var want = buffer.count
            if let kbps {
                let allowed = Int(Date().timeIntervalSince(start) * Double(kbps) * 1000 / 8) - moved
                if allowed < 512 {
                    usleep(5000)
                    continue
                }
                want = min(want, allowed)
            }
            let n = recv(source, &buffer, want, 0)
            if n <= 0 { break }
            var off = 0
            while off < n {
                let w = buffer[off..<n].withUnsafeBytes { Glibc.send(sink, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if w <= 0 { return }
                off += w
            }
            moved += n
        }
    }

    static func loopback(_ port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return addr
    }

    /// A socket bound to a free loopback port.
    static func socket(_ type: Int32, receiveBuffer: Int32?) throws -> (fd: Int32, port: Int) {
        let fd = Glibc.socket(AF_INET, type, 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = loopback(0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0 }
        }
        guard ok else { Glibc.close(fd); throw POSIXError(.EADDRINUSE) }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}

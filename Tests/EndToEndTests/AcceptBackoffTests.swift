import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// `sluice serve` with 128 descriptors (the shell's `ulimit -n`, a setrlimit before exec) and
/// more connections than that: each listener says once that accept failed and pauses instead
/// of spinning on EMFILE, and `/healthz` answers again once the connections close.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct AcceptBackoffTests {
    /// A blocking TCP connection to 127.0.0.1:`port` (the kernel completes it from the
    /// listener's backlog whether or not the server accepts it).
    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        return fd
    }

    static func healthz(_ port: Int) async -> Int? {
        guard let url = URL(string: "http://127.0.0.1:\(port)/healthz") else { return nil }
        var request = URLRequest(url: url)
        request.timeoutInterval = 3
        return ((try? await URLSession.shared.data(for: request))?.1 as? HTTPURLResponse)?.statusCode
    }

    static func boundPort(_ output: String, after prefix: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
              let r = line.range(of: "bound port ") else { return nil }
        return Int(line[r.upperBound...].prefix { $0.isNumber })
    }

    @Test func outOfDescriptorsEachListenerPausesSaysSoAndRecovers() async throws {
        let serve = try ExternalProcess("/bin/sh", [
            "-c", "ulimit -n 128 && exec \"$0\" serve --host 127.0.0.1 --rtmp-port 0 --srt-port 0 --http-port 0", sluiceBinary,
        ])
        defer { serve.kill() }
        #expect(await eventually(within: 30) { serve.output.contains("HLS:  play") }, "\(serve.errors)")
        let rtmpPort = try #require(Self.boundPort(serve.output, after: "RTMP:"))
        let httpPort = try #require(Self.boundPort(serve.output, after: "HLS:"))
        #expect(await Self.healthz(httpPort) == 200)

        // More connections than descriptors; what the server cannot accept waits in the backlogs.
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        // 300: when the first ones hit the handshake timeout (10 s) the backlog still holds more
        // than the freed descriptors, so accepting fails again after the throttle window.
        for _ in 0..<300 { sockets.append(try Self.connect(rtmpPort)) }
        func lines(_ text: String) -> [Substring] { serve.errors.split(separator: "\n").filter { $0.contains(text) } }
        #expect(await eventually(within: 20) { !lines("RTMP accept failed").isEmpty }, "\(serve.errors.suffix(2000))")
        // Now the HTTP listener has no descriptor left either.
        for _ in 0..<10 { sockets.append(try Self.connect(httpPort)) }
        #expect(await eventually(within: 20) { !lines("HTTP accept failed").isEmpty }, "\(serve.errors.suffix(2000))")
        #expect(lines("HTTP accept failed").first?.contains("Too many open files") == true)

        // The next line comes a throttle window (10 s) later and counts the failures between:
        // one per 1 s pause, where a spinning accept loop fails thousands of times.
        #expect(await eventually(within: 30) { lines("RTMP accept failed").count >= 2 }, "\(serve.errors.suffix(2000))")
        let second = try #require(lines("RTMP accept failed").dropFirst().first)
        let count = try #require(second.range(of: "since-last-line=").map { Int(second[$0.upperBound...].prefix { $0.isNumber }) } ?? nil)
        #expect(count <= 30, "\(second)")

        for fd in sockets { close(fd) }
        sockets.removeAll()
        #expect(await eventuallyAsync(within: 30) { await Self.healthz(httpPort) == 200 })
        #expect(serve.isRunning)
    }
}

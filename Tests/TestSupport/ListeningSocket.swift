import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket listening on a free loopback port, to make a port busy for a test.
public struct ListeningSocket: Sendable {
    public let fd: Int32
    public let port: Int

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && listen(fd, 4) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { Glibc.close(fd); throw POSIXError(.EADDRINUSE) }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    public func close() { _ = Glibc.close(fd) }
}

/// A loopback port nothing listens on (bound, then closed), so a connect is refused.
public enum ClosedPort {
    public static func make() throws -> Int {
        let s = try ListeningSocket()
        s.close()
        return s.port
    }
}

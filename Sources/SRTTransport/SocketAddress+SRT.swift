#if canImport(Glibc)
import Glibc
#endif

enum SRTSocketAddress {
    /// A sockaddr for `host:port` (IPv4 dotted or IPv6 literal), passed to `body`.
    static func with<R>(host: String, port: Int, _ body: (UnsafePointer<sockaddr>, Int32) throws -> R) throws -> R {
        if host.contains(":") {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, host, &addr.sin6_addr) == 1 else { throw SRTError(operation: "bind", code: -1, message: "bad IPv6 address \(host)") }
            return try withUnsafePointer(to: &addr) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, Int32(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { throw SRTError(operation: "bind", code: -1, message: "bad IPv4 address \(host)") }
        return try withUnsafePointer(to: &addr) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, Int32(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// "ip:port" of a sockaddr, for logs.
    static func describe(_ address: UnsafePointer<sockaddr>?) -> String {
        guard let address else { return "?" }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                var ip = a.pointee.sin_addr
                inet_ntop(AF_INET, &ip, &text, socklen_t(text.count))
                return "\(text.prefix { $0 != 0 }.utf8String):\(UInt16(bigEndian: a.pointee.sin_port))"
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                var ip = a.pointee.sin6_addr
                inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count))
                return "[\(text.prefix { $0 != 0 }.utf8String)]:\(UInt16(bigEndian: a.pointee.sin6_port))"
            }
        default:
            return "?"
        }
    }

    /// The port a bound socket got (for port 0).
    static func port(of storage: sockaddr_storage) -> Int {
        var s = storage
        return withUnsafePointer(to: &s) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a -> Int in
                switch Int32(a.pointee.sa_family) {
                case AF_INET: return a.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
                case AF_INET6: return a.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
                default: return 0
                }
            }
        }
    }
}

extension Sequence<CChar> {
    var utf8String: String { String(decoding: map { UInt8(bitPattern: $0) }, as: UTF8.self) }
}

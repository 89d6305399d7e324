import ArgumentParser
import NIOCore

/// `HOST:PORT` from the command line (`[::1]:PORT` for IPv6), checked before anything binds.
struct HostPort {
    var host: String
    var port: Int
    var option: String

    init(_ text: String, option: String, allowZero: Bool = true) throws {
        self.option = option
        let hostPart: Substring, portPart: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ValidationError("\(option) must be HOST:PORT, got \"\(text)\"") }
            portPart = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        } else {
            throw ValidationError("\(option) must be HOST:PORT, got \"\(text)\"")
        }
        guard !hostPart.isEmpty, let port = Int(portPart) else {
            throw ValidationError("\(option) must be HOST:PORT, got \"\(text)\"")
        }
        try PortArgument.check(port, option: "\(option)'s port", allowZero: allowZero)
        host = String(hostPart)
        self.port = port
    }

    /// The socket address (getaddrinfo for a name: once, at start).
    func resolve() throws -> SocketAddress {
        do {
            return try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw CommandFailure("cannot resolve \(option) host \"\(host)\"")
        }
    }
}

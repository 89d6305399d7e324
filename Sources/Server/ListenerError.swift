import Foundation
import NIOCore

/// A listener that could not start, named with its protocol, address and flag, in words an
/// operator can act on ("port 1935 is already in use"), with the system's error kept.
public struct ListenerError: Error, Sendable, CustomStringConvertible {
    public var listener: String
    public var host: String
    public var port: Int
    public var flag: String
    public var underlying: String
    public var errno: Int32?

    init(listener: String, host: String, port: Int, flag: String, error: any Error) {
        self.listener = listener
        self.host = host
        self.port = port
        self.flag = flag
        underlying = "\(error)"
        errno = (error as? IOError)?.errnoCode ?? Self.errnoInText("\(error)")
    }

    public var description: String {
        let reason: String
        switch errno {
        case EADDRINUSE: reason = "port \(port) is already in use (another server? choose another with \(flag))"
        case EACCES: reason = "permission denied (ports below 1024 need privileges; choose another with \(flag))"
        case EADDRNOTAVAIL: reason = "\(host) is not an address of this machine (check --host)"
        default: reason = underlying
        }
        return "cannot listen for \(listener) on \(host):\(port): \(reason)"
    }

    /// libsrt reports bind failures as text ("... Address already in use") with its own codes.
    private static func errnoInText(_ text: String) -> Int32? {
        if text.contains("already in use") { return EADDRINUSE }
        if text.contains("ermission denied") { return EACCES }
        if text.contains("annot assign requested address") { return EADDRNOTAVAIL }
        return nil
    }
}

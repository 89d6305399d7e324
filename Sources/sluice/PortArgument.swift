import ArgumentParser

/// A TCP/UDP port from the command line. Parsed unconditionally so "-1" reaches the range
/// check instead of being taken for a flag; never wrapped modulo 65536.
enum PortArgument {
    static func check(_ value: Int, option: String, allowZero: Bool = true) throws {
        let low = allowZero ? 0 : 1
        guard (low...65535).contains(value) else {
            throw ValidationError("\(option) must be \(low)–65535\(allowZero ? " (0 picks a free port)" : ""), got \(value)")
        }
    }
}

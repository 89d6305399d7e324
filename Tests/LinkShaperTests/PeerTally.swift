import Foundation

/// What a test peer saw: bytes, when the first and last arrived, and whether every byte was
/// the expected pattern (byte i of a stream is i mod 251).
struct PeerTally: Sendable {
    var bytes = 0
    var datagrams = 0
    var first: Date?
    var last: Date?
    var intact = true
    var closed = false
}

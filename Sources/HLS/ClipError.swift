/// Why a clip could not be cut: the request (400), the range (416: not in the source), or the
/// source itself (502: a playlist or segment that could not be read).
public struct ClipError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case malformed, notAvailable, source }
    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

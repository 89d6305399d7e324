/// Why a trace file cannot be used, in words for the command line.
public struct TraceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// A ladder specification that cannot be parsed, with the part that failed.
public struct LadderError: Error, Sendable, Equatable, CustomStringConvertible {
    public var spec: String
    public var reason: String

    public init(spec: String, reason: String) {
        self.spec = spec
        self.reason = reason
    }

    public var description: String { "invalid ladder \"\(spec)\": \(reason)" }
}

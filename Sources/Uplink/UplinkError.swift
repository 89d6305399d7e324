/// A push that cannot go on, with a message for the one error line.
public struct UplinkError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

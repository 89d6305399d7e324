/// One `a=name[:value]` line.
public struct SDPAttribute: Sendable, Equatable {
    public var name: String
    public var value: String?
    public init(_ name: String, _ value: String? = nil) { self.name = name; self.value = value }
}

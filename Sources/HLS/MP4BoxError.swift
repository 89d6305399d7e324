/// A box or tag that does not read as what it claims to be; says which field.
public struct MP4BoxError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

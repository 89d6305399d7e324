/// A key of the schema outside any list, which an environment variable can set.
public struct SchemaKey: Sendable, Equatable {
    public enum Kind: Sendable { case string, value, list }
    public var path: [String]
    public var kind: Kind
    public var keyPath: String { path.joined(separator: ".") }
}

/// The server was built without a way to read its configuration again.
public struct ReloadUnavailable: Error, CustomStringConvertible {
    public var description: String { "this server has no configuration source to reload" }
}

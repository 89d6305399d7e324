/// The default access control: everyone may publish and play.
public struct AllowAll: AccessControl {
    public init() {}
    public func authorize(path: String, query: String, action: AccessAction) -> Bool { true }
}

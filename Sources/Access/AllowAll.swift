/// Everyone may publish and play (tests, embedding); `sluice serve` uses `ConfiguredAccess`.
public struct AllowAll: AccessControl {
    public init() {}
    public func check(_ request: AccessRequest) -> AccessDecision { .allow("no access control") }
}

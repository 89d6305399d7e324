/// A rung sized for one particular source: even dimensions, never larger than the source.
public struct ResolvedRung: Sendable, Equatable {
    public var spec: RungSpec
    public var width: Int
    public var height: Int

    public var name: String { spec.name }

    public init(spec: RungSpec, width: Int, height: Int) {
        self.spec = spec
        self.width = width
        self.height = height
    }
}

/// One key/value pair of an AMF object or ECMA array; objects keep their wire order.
public struct AMFProperty: Sendable, Equatable {
    public var key: String
    public var value: AMFValue

    public init(_ key: String, _ value: AMFValue) {
        self.key = key
        self.value = value
    }
}

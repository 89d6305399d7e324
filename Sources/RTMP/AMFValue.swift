/// An AMF value (AMF0 types; AMF3 values decode into the same cases).
public indirect enum AMFValue: Sendable, Equatable {
    case number(Double)
    case boolean(Bool)
    case string(String)
    case object([AMFProperty])
    case null
    case undefined
    case ecmaArray([AMFProperty])
    case strictArray([AMFValue])
    case date(Double)

    public var number: Double? { if case .number(let n) = self { n } else { nil } }
    public var string: String? { if case .string(let s) = self { s } else { nil } }

    /// Properties of an object or ECMA array, in wire order.
    public var properties: [AMFProperty]? {
        switch self {
        case .object(let p), .ecmaArray(let p): p
        default: nil
        }
    }

    public subscript(key: String) -> AMFValue? {
        properties?.first(where: { $0.key == key })?.value
    }
}

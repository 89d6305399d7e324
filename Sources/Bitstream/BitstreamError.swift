/// Why a codec structure (SPS, decoder configuration record, AudioSpecificConfig) was refused.
/// Every value comes from a publisher: the message names the field and the bound it broke.
public enum BitstreamError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended inside `what`.
    case truncated(String)
    /// A field holds a value the specification (or Sluice's bound) does not allow.
    case outOfRange(field: String, value: Int64, allowed: ClosedRange<Int64>)
    /// Structurally wrong: a wrong NAL type, version, or a missing parameter set.
    case invalid(String)

    public var description: String {
        switch self {
        case .truncated(let what): "\(what): truncated"
        case .outOfRange(let field, let value, let allowed):
            "\(field) = \(value) is outside \(allowed.lowerBound)...\(allowed.upperBound)"
        case .invalid(let why): why
        }
    }
}

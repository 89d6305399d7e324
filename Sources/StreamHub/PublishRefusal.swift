/// Why the hub refused a publisher.
public enum PublishRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// One path is a whole-segment prefix of the other, so their HLS URLs would overlap.
    case overlaps(path: String, inUse: String)

    public var description: String {
        switch self {
        case .overlaps(let path, let inUse): "\(path) overlaps \(inUse), which is in use"
        }
    }
}

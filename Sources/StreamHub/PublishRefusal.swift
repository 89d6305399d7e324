/// Why the hub refused a publisher.
public enum PublishRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// One path is a whole-segment prefix of the other, so their HLS URLs would overlap.
    case overlaps(path: String, inUse: String)
    /// The path is live and the newcomer did not prove the live publisher's key.
    case busy(path: String)
    /// `limits.maxPublishers` streams are published already.
    case tooManyPublishers(limit: Int)

    public var description: String {
        switch self {
        case .overlaps(let path, let inUse): "\(path) overlaps \(inUse), which is in use"
        case .busy(let path): "\(path) is already being published (a takeover needs the live publisher's key)"
        case .tooManyPublishers(let limit): "the server publishes \(limit) streams already (limits.maxPublishers)"
        }
    }
}

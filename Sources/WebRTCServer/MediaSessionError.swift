/// Why a WHEP or WHIP request was refused, with the HTTP status it maps to.
public enum MediaSessionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The offer cannot be answered (bad SDP, no common codec): 400 with the negotiator's text.
    case badOffer(String)
    /// No such stream or rendition: 404.
    case notFound(String)
    /// The path is published by someone else: 409.
    case conflict(String)
    /// `webrtc.maxSessions` reached, or the UDP port could not be bound: 503.
    case unavailable(String)

    public var status: Int {
        switch self {
        case .badOffer: 400
        case .notFound: 404
        case .conflict: 409
        case .unavailable: 503
        }
    }

    public var description: String {
        switch self {
        case .badOffer(let why), .notFound(let why), .conflict(let why), .unavailable(let why): why
        }
    }
}

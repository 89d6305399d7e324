import Synchronization

/// Requests the origin answered for one rendition, by kind: what an edge in front of the
/// origin costs it (requests ÷ parts published = how well the edge collapses its viewers).
/// One relaxed atomic add per request; no lock.
public final class RenditionRequests: Sendable {
    public enum Kind: Int, Sendable, CaseIterable {
        /// Media playlists (blocking or not; the MPEG-TS one too).
        case playlist
        /// LL-HLS parts.
        case part
        /// Whole segments (fMP4 or MPEG-TS) and init segments.
        case segment
    }

    private let playlists = Atomic<Int>(0)
    private let parts = Atomic<Int>(0)
    private let segments = Atomic<Int>(0)

    public init() {}

    public func count(_ kind: Kind) {
        switch kind {
        case .playlist: playlists.add(1, ordering: .relaxed)
        case .part: parts.add(1, ordering: .relaxed)
        case .segment: segments.add(1, ordering: .relaxed)
        }
    }

    public subscript(kind: Kind) -> Int {
        switch kind {
        case .playlist: playlists.load(ordering: .relaxed)
        case .part: parts.load(ordering: .relaxed)
        case .segment: segments.load(ordering: .relaxed)
        }
    }
}

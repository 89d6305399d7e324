public enum TrackKind: String, Sendable, Hashable, CaseIterable {
    case video
    case audio
}

public enum MediaKind: String, Sendable, Equatable {
    case video, audio
}

public enum AccessAction: String, Sendable {
    case publish
    case play
}

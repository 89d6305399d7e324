/// What a `HandOffQueue` does with an element that arrives.
public enum HandOffAdmission: Sendable {
    /// Queue it.
    case append
    /// Lose it (the policy counts the loss).
    case drop
    /// Make the producer wait until the consumer takes something, or the queue closes.
    case wait
}
